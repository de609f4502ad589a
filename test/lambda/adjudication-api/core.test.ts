/** The adjudication core with plain in-memory fakes (no emulator). */
import {
  getAdjudication,
  listAdjudications,
  openAdjudicationSession,
  resolveAdjudication,
  type AdjudicationDeps,
  type AdjudicationStore,
} from '../../../lambda/adjudication-api/core';
import { evaluateDiscordance } from '../../../domain/rules/discordance';
import { requireAdjudicator, type Principal } from '../../../lambda/runtime/auth';
import { AppError, ConflictError } from '../../../lambda/runtime/errors';
import type { SessionRecord } from '../../../lambda/store/sessions';
import type { AdjudicationTask, Resolution } from '../../../lambda/store/adjudications';
import type { IdempotencyRecord } from '../../../lambda/store/idempotency';
import type { CaseRecord } from '../../../lambda/store/cases';
import type { CaseConflictFacts } from '../../../domain/assignment/access';
import { maskReads } from '../../../domain/rules/case-outcome';
import type { FinalRecord } from '../../../lambda/store/finals';
import { CONFIG, FACTS, grade } from '../../helpers/grades';

const READER_1 = 'sub-reader-1';
const READER_2 = 'sub-reader-2';
/** The third first read of C1 (k = 3): holds an assignment on the case, read neither A nor B. */
const READER_3 = 'sub-reader-3';
const ADJ = 'sub-adjudicator';
const EXCLUDED_ADJ = 'sub-excluded-adjudicator';

// Discordant on OD icdrLevel (across the referable threshold) only.
const READ_1 = grade({ OD: { icdrLevel: 'mild_npdr' } });
const READ_2 = grade({ OD: { icdrLevel: 'severe_npdr' }, OS: { vcdr: 0.35 } });

function fakes(opts: { taskStatus?: 'open' | 'resolved'; extraReaders?: string[]; withSiteAndExclusions?: boolean } = {}) {
  const discordance = evaluateDiscordance(CONFIG.form, CONFIG.discordanceRules, READ_1, READ_2);
  const masked = maskReads('C1', [
    { readerId: READER_1, readNo: 1 },
    { readerId: READER_2, readNo: 1 },
  ]);
  const reads = Object.fromEntries(masked.map((r) => [r.label, { readerId: r.readerId, readNo: r.readNo }])) as AdjudicationTask['reads'];
  const task: AdjudicationTask = {
    caseId: 'C1',
    status: opts.taskStatus ?? 'open',
    priority: discordance.priority,
    reasons: discordance.reasons,
    reads,
    readerIds: [READER_1, READER_2, READER_3],
    openedAt: '2026-01-01T00:00:00.000Z',
  };
  // C2: ADJ wrote one of its reads.
  const other: AdjudicationTask = { ...task, caseId: 'C2', reads: { A: { readerId: ADJ, readNo: 1 }, B: reads.B }, readerIds: [ADJ, reads.B.readerId] };
  const tasks = [task, other];
  // C3: a SNUH case; C4: a case EXCLUDED_ADJ is excluded from (both read by readers 1 and 2).
  const caseFacts: Record<string, CaseConflictFacts> = {};
  if (opts.withSiteAndExclusions) {
    tasks.push({ ...task, caseId: 'C3' }, { ...task, caseId: 'C4' });
    caseFacts.C3 = { site: 'snuh' }; // registered before sites were normalised: compared as SNUH
    caseFacts.C4 = { excluded: [EXCLUDED_ADJ] };
  }
  const stored = new Map([
    [READER_1, READ_1],
    [READER_2, READ_2],
  ]);
  const resolved: Resolution[] = [];
  const idem = new Map<string, IdempotencyRecord>();
  const store: AdjudicationStore = {
    listTasks: async () => ({ items: tasks, cursor: 'next-page' }),
    getTask: async (caseId) => tasks.find((t) => t.caseId === caseId),
    getRead: async (caseId, readerId, readNo) => ({ caseId, readerId, readNo, status: 'submitted', answers: stored.get(readerId)!, version: 1 }) as never,
    getCase: async (caseId) => ({ caseId, eyes: [], octPresent: FACTS.octPresent, registeredAt: '2026-01-01T00:00:00.000Z', ...caseFacts[caseId] }) as unknown as CaseRecord,
    caseConflictFacts: async (caseIds) => new Map(caseIds.map((id) => [id, caseFacts[id] ?? {}])) as never,
    // The store's answer: any assignment on the case (here, its readers), plus the test's extras.
    assignmentsOf: async (caseId, readerId) =>
      tasks.find((t) => t.caseId === caseId)?.readerIds.includes(readerId) || (opts.extraReaders ?? []).includes(readerId) ? [{ caseId, readerId, readNo: 1 } as never] : [],
    getFinal: async () => undefined as FinalRecord | undefined,
    getIdempotency: async (actor, key) => idem.get(`${actor}/${key}`),
    resolveAdjudication: async (r) => {
      resolved.push(r);
      if (r.idempotency) idem.set(`${ADJ}/${r.idempotency.key}`, r.idempotency);
      task.status = 'resolved';
    },
  };
  const sessions: SessionRecord[] = [];
  const deps: AdjudicationDeps = {
    config: CONFIG,
    store,
    sessions: {
      store: { recordSession: async (s) => void sessions.push(s) },
      streaming: { issue: async () => ({ url: 'https://stream.example/x', expiresAt: new Date('2026-02-01T10:01:00.000Z') }) },
      streamingUrlValiditySeconds: 60,
      sessionMaxSeconds: 3600,
      now: () => new Date('2026-02-01T10:00:00.000Z'),
      newId: () => 'S'.repeat(22),
    },
    now: () => '2026-02-01T10:00:00.000Z',
  };
  // Which label is reader 1's read.
  const labelOf1 = reads.A.readerId === READER_1 ? 'A' : 'B';
  return { deps, task, resolved, sessions, labelOf1, labelOf2: labelOf1 === 'A' ? 'B' : 'A' };
}

async function rejects(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof AppError) return e;
    throw e;
  }
  throw new Error('expected a rejection');
}

const actor = { sub: ADJ, site: 'KNUH' };

describe('GET /adjudications', () => {
  it('lists tasks without reader ids and leaves out tasks the adjudicator read', async () => {
    const { deps } = fakes();
    const page = await listAdjudications(deps, actor, { status: 'open', limit: 10 });
    expect(page.items.map((t) => t.caseId)).toEqual(['C1']);
    expect(page.cursor).toBe('next-page');
    const text = JSON.stringify(page);
    for (const id of [READER_1, READER_2, READER_3, 'readerId']) expect(text).not.toContain(id);
    expect(page.items[0]).not.toHaveProperty('reads');
  });

  it.each([
    [READER_1, 'KNUH'],
    [READER_2, 'KNUH'],
    [READER_3, 'KNUH'],
    [ADJ, 'KNUH'],
    ['sub-another-adjudicator', 'KNUH'],
    ['sub-snuh-adjudicator', 'SNUH'],
    [EXCLUDED_ADJ, 'KNUH'],
  ])('lists for %s (site %s) exactly the tasks whose detail it may open', async (sub, site) => {
    const { deps } = fakes({ withSiteAndExclusions: true });
    const who = { sub, site };
    const listed = (await listAdjudications(deps, who, { status: 'open', limit: 10 })).items.map((t) => t.caseId);
    const openable: string[] = [];
    for (const caseId of ['C1', 'C2', 'C3', 'C4']) {
      if (await getAdjudication(deps, who, caseId).then(() => true, (e) => (e instanceof AppError && e.status === 403 ? false : Promise.reject(e)))) openable.push(caseId);
    }
    expect(listed).toEqual(openable);
  });

  it("the same site and the case's exclusion list apply to adjudicators as to readers, in the list and the detail", async () => {
    const { deps } = fakes({ withSiteAndExclusions: true });
    const snuh = { sub: 'sub-snuh-adjudicator', site: 'SNUH' };
    expect((await listAdjudications(deps, snuh, { status: 'open', limit: 10 })).items.map((t) => t.caseId)).toEqual(['C1', 'C2', 'C4']);
    const sameSite = await rejects(getAdjudication(deps, snuh, 'C3'));
    expect([sameSite.status, sameSite.code, sameSite.message]).toEqual([403, 'conflict_of_interest', expect.stringMatching(/your own site/)]);
    const excluded = await rejects(getAdjudication(deps, { sub: EXCLUDED_ADJ, site: 'KNUH' }, 'C4'));
    expect([excluded.status, excluded.code, excluded.message]).toEqual([403, 'conflict_of_interest', expect.stringMatching(/excluded/)]);
    const f = fakes({ withSiteAndExclusions: true });
    const put = await rejects(resolveAdjudication(f.deps, snuh, 'C3', { picks: { eyes: { OD: { icdrLevel: 'A' } } }, reasonCode: 'read_a_correct' }, undefined));
    expect(put.status).toBe(403);
    expect(f.resolved).toHaveLength(0);
  });
});

describe('GET /adjudications/{caseId}', () => {
  it('shows both reads as A and B with the reasons, never who read them', async () => {
    const { deps, labelOf1 } = fakes();
    const detail = await getAdjudication(deps, actor, 'C1');
    expect(detail.reads[labelOf1 as 'A' | 'B']).toEqual(READ_1);
    expect(detail.reasons.map((r) => [r.rule, r.question, r.eye])).toContainEqual(['D2', 'icdrLevel', 'OD']);
    expect(detail.reasonCodes).toContain('read_a_correct');
    const text = JSON.stringify(detail);
    for (const id of [READER_1, READER_2, READER_3, 'readerId', 'readNo', 'email']) expect(text).not.toContain(id);
  });

  it('404 for a case without a task', async () => {
    expect((await rejects(getAdjudication(fakes().deps, actor, 'C9'))).status).toBe(404);
  });

  it('403 for one of the two readers (conflict of interest)', async () => {
    const e = await rejects(getAdjudication(fakes().deps, { sub: READER_1, site: 'KNUH' }, 'C1'));
    expect(e.status).toBe(403);
    expect(e.message).toMatch(/conflict of interest/);
  });

  it('403 for an adjudicator who holds any assignment on the case (e.g. a repeat)', async () => {
    expect((await rejects(getAdjudication(fakes({ extraReaders: [ADJ] }).deps, actor, 'C1'))).status).toBe(403);
  });
});

describe('POST /adjudications/{caseId}/session', () => {
  it("opens an open task's case by its case id, with the adjudicator's site on the session (case-files applies the same-site rule again)", async () => {
    const f = fakes();
    const out = await openAdjudicationSession(f.deps, actor, 'C1');
    expect(out).toEqual({ streamingUrl: 'https://stream.example/x', expiresAt: '2026-02-01T10:01:00.000Z' });
    expect(out).not.toHaveProperty('ref');
    expect(f.sessions).toEqual([expect.objectContaining({ readerId: ADJ, caseId: 'C1', readNo: 0, purpose: 'adjudication', site: 'KNUH' })]);
  });

  it('refuses a conflict of interest (403 saying which) and answers 404 without an open task, issuing nothing', async () => {
    const f = fakes({ withSiteAndExclusions: true });
    const sameSite = { sub: 'snuh-adj', site: 'SNUH' };
    expect(await openAdjudicationSession(f.deps, sameSite, 'C3').catch((e: AppError) => [e.status, e.code])).toEqual([403, 'conflict_of_interest']);
    expect(await openAdjudicationSession(f.deps, actor, 'C2').catch((e: AppError) => [e.status, e.code])).toEqual([403, 'conflict_of_interest']); // ADJ read C2
    expect(await openAdjudicationSession(f.deps, { sub: EXCLUDED_ADJ, site: 'KNUH' }, 'C4').catch((e: AppError) => [e.status, e.code])).toEqual([403, 'conflict_of_interest']);
    expect((await rejects(openAdjudicationSession(f.deps, actor, 'C9'))).status).toBe(404); // no task on C9
    expect((await rejects(openAdjudicationSession(fakes({ taskStatus: 'resolved' }).deps, actor, 'C1'))).status).toBe(404);
    expect(f.sessions).toEqual([]);
    // Before any of that, the handler's requireAdjudicator refuses a dual role (every adjudication door).
    const dual: Principal = { sub: 'dual', site: 'KNUH', roles: new Set(['adjudicator', 'coordinator']) };
    expect(() => requireAdjudicator(dual)).toThrow(expect.objectContaining({ status: 403, code: 'dual_role' }));
  });
});

describe('PUT /adjudications/{caseId}', () => {
  const body = (picks: unknown, extra: Record<string, unknown> = {}) => ({ picks, reasonCode: 'read_b_correct', ...extra });

  it("takes the picked read's answer, keeps agreed answers, and records provenance and who", async () => {
    const f = fakes();
    const res = await resolveAdjudication(f.deps, actor, 'C1', body({ eyes: { OD: { icdrLevel: f.labelOf2 } } }), undefined);
    expect(res.result.status).toBe('resolved');
    const final = f.resolved[0].final;
    expect(final).toMatchObject({ provenance: 'adjudicated', decidedBy: ADJ, reasonCode: 'read_b_correct', formVersion: '1.0.0' });
    expect(final.value.eyes.OD!.icdrLevel).toBe('severe_npdr');
    expect(final.value.eyes.OD!.beckmanClass).toBe('no_aging_changes');
    // OS vcdr differs by 0.05 (no rule fires): the concordant merge keeps the larger.
    expect(final.value.eyes.OS!.vcdr).toBe(0.35);
    expect(final.picks).toEqual([{ question: 'icdrLevel', eye: 'OD', source: f.labelOf2 }]);
    expect(JSON.stringify(res.result)).not.toContain(READER_2);
  });

  it('accepts a new value, validated and normalised by the form validator', async () => {
    const f = fakes();
    await resolveAdjudication(f.deps, actor, 'C1', body({ eyes: { OD: { icdrLevel: { value: 'moderate_npdr' } } } }, { reasonCode: 'neither_correct' }), undefined);
    expect(f.resolved[0].final.value.eyes.OD!.icdrLevel).toBe('moderate_npdr');
    expect(f.resolved[0].final.picks![0].source).toBe('new');
  });

  it.each([
    ['a discordant question left unpicked', body({}), 'picks.eyes.OD.icdrLevel', 'required'],
    ['a new value that is not an option', body({ eyes: { OD: { icdrLevel: { value: 'very_bad' } } } }), 'picks.eyes.OD.icdrLevel', 'option'],
    ['an unknown question', body({ eyes: { OD: { icdrLevel: 'A', nope: 'A' } } }), 'picks.eyes.OD.nope', 'unknownKey'],
    ['an unknown eye', body({ eyes: { OD: { icdrLevel: 'A' }, OU: {} } }), 'picks.eyes.OU', 'unknownEye'],
    ['a pick the final hides', body({ eyes: { OD: { fundusQuality: { value: 'ungradable' }, icdrLevel: 'A' } } }), 'picks.eyes.OD.icdrLevel', 'hidden'],
    ['a bad pick label', body({ eyes: { OD: { icdrLevel: 'Z' } } }), 'picks.eyes.OD.icdrLevel', 'invalid_union'],
    ['the label of a read the case does not have (two reads: A and B)', body({ eyes: { OD: { icdrLevel: 'C' } } }), 'picks.eyes.OD.icdrLevel', 'unknownRead'],
    ['a new value shaped like no answer (an object)', body({ eyes: { OD: { icdrLevel: { value: { nested: ['x'] } } } } }), 'picks.eyes.OD.icdrLevel', 'invalid_union'],
    ['a new value shaped like no answer (nested lists)', body({ eyes: { OD: { icdrLevel: { value: [['x']] } } } }), 'picks.eyes.OD.icdrLevel', 'invalid_union'],
    ['a reason code off the list', body({ eyes: { OD: { icdrLevel: 'A' } } }, { reasonCode: 'because' }), 'reasonCode', 'invalid_value'],
    ["'other' without a note", body({ eyes: { OD: { icdrLevel: 'A' } } }, { reasonCode: 'other' }), 'note', 'required'],
    ['an unknown body field', body({ eyes: { OD: { icdrLevel: 'A' } } }, { readerId: 'x' }), 'readerId', 'unrecognized_keys'],
  ])('400 for %s, naming the field and the rule', async (_name, b, field, rule) => {
    const f = fakes();
    const e = await rejects(resolveAdjudication(f.deps, actor, 'C1', b as Record<string, unknown>, undefined));
    expect(e.status).toBe(400);
    const paths = (e.details.errors ?? []).map((x) => [x.path, x.rule]);
    expect([[e.details.field, e.details.rule], ...paths]).toContainEqual([field, rule]);
    expect(f.resolved).toHaveLength(0);
  });

  it('409 when the task is already resolved', async () => {
    const f = fakes({ taskStatus: 'resolved' });
    const e = await rejects(resolveAdjudication(f.deps, actor, 'C1', body({ eyes: { OD: { icdrLevel: 'A' } } }), undefined));
    expect([e.status, e.code]).toEqual([409, 'already_resolved']);
  });

  it('403 for a reader of the case', async () => {
    const f = fakes();
    expect((await rejects(resolveAdjudication(f.deps, { sub: READER_2 }, 'C1', body({ eyes: { OD: { icdrLevel: 'A' } } }), undefined))).status).toBe(403);
  });

  it('replays the stored response for a retry with the same Idempotency-Key, and refuses the key for another body', async () => {
    const f = fakes();
    const b = body({ eyes: { OD: { icdrLevel: 'B' } } });
    const first = await resolveAdjudication(f.deps, actor, 'C1', b, 'key-1');
    const again = await resolveAdjudication(f.deps, actor, 'C1', JSON.parse(JSON.stringify(b)), 'key-1');
    expect(again).toEqual({ ...first, replayed: true });
    expect(f.resolved).toHaveLength(1);
    const e = await rejects(resolveAdjudication(f.deps, actor, 'C1', body({ eyes: { OD: { icdrLevel: 'A' } } }), 'key-1'));
    expect([e.status, e.code, e.details]).toEqual([422, 'idempotency_key_reused', { field: 'Idempotency-Key', rule: 'reused' }]);
    const bad = await rejects(resolveAdjudication(f.deps, actor, 'C1', b, 'has space'));
    expect([bad.status, bad.details.field]).toEqual([400, 'Idempotency-Key']);
    expect(f.resolved).toHaveLength(1);
  });

  it('two identical requests in flight at once: the one that loses the write answers with the winner\'s result', async () => {
    const f = fakes();
    // As the real store: each load gets its own copy of the task, and a task resolved since it
    // was loaded is refused.
    const { getTask, resolveAdjudication: write } = f.deps.store;
    const store = {
      ...f.deps.store,
      getTask: async (caseId: string) => ({ ...(await getTask(caseId))! }),
      resolveAdjudication: async (r: Resolution) => (f.task.status === 'open' ? write(r) : Promise.reject(new ConflictError('resolved', 'already_resolved'))),
    };
    const deps = { ...f.deps, store };
    const b = body({ eyes: { OD: { icdrLevel: 'B' } } });
    const both = await Promise.all([resolveAdjudication(deps, actor, 'C1', b, 'key-1'), resolveAdjudication(deps, actor, 'C1', b, 'key-1')]);
    expect(both.map((r) => r.replayed)).toEqual([false, true]);
    expect(both[1].result).toEqual(both[0].result);
    expect(f.resolved).toHaveLength(1);
    // Without a key, the second is told the task is resolved.
    f.task.status = 'open';
    const [, second] = await Promise.allSettled([resolveAdjudication(deps, actor, 'C1', b, undefined), resolveAdjudication(deps, actor, 'C1', b, undefined)]);
    expect(second).toMatchObject({ status: 'rejected', reason: { status: 409, code: 'already_resolved' } });
  });
});
