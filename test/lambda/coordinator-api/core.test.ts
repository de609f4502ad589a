/** The coordinator core (bulk assignment, progress, audit, export bookkeeping) with plain fakes. */
import {
  bulkAssign,
  getExport,
  newExportId,
  progress,
  audit,
  EXPORT_ID,
  type AssignmentStore,
  type CaseForAssignment,
  type ExportCoreDeps,
  type ReaderDirectory,
} from '../../../lambda/coordinator-api/core';
import type { AssignCommand } from '../../../lambda/store/claims';
import type { AssignmentRecord } from '../../../lambda/store/assignments';
import type { CaseRecord } from '../../../lambda/store/cases';
import type { ReaderLoad } from '../../../domain/assignment/plan';
import { AppError } from '../../../lambda/runtime/errors';
import type { ExportJob } from '../../../lambda/store/exports';
import { CONFIG } from '../../helpers/grades';

const NOW = '2026-03-01T00:00:00.000Z';
const actor = { sub: 'coord' };

async function rejects(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof AppError) return e;
    throw e;
  }
  throw new Error('expected a rejection');
}

/** An in-memory store that enforces what the real transaction enforces: k, caps, no duplicates. */
function fakeStore(readers: Array<ReaderLoad & { enabled?: boolean }>, cases: CaseForAssignment[], history: Record<string, { caseId: string; submittedAt: string }[]> = {}) {
  const assignments: Array<{ caseId: string; readerId: string; readNo: number }> = [];
  // As the case item's `readers` set: the first-read slot holders, as of now.
  const current = (c: CaseForAssignment): CaseForAssignment => ({ ...c, readers: assignments.filter((a) => a.caseId === c.caseId && a.readNo === 1).map((a) => a.readerId) });
  const writes: AssignCommand[] = [];
  const exclusions: Array<[string, readonly string[]]> = [];
  const load = new Map(readers.map((r) => [r.readerId, { ...r }]));
  // The directory holds who and their site; the profiles hold the load (submitted = total - open).
  const directory: ReaderDirectory = { members: async () => [...load.values()].map((r) => ({ readerId: r.readerId, site: r.site, enabled: r.enabled ?? true })) };
  const asRecord = (c: CaseForAssignment) => current(c) as unknown as CaseRecord;
  const store: AssignmentStore = {
    allReaders: async () => [...load.values()].map((r) => ({ readerId: r.readerId, openCount: r.openCount, submittedCount: r.totalCount - r.openCount, active: r.active }) as never),
    openCases: async (limit) => cases.filter((c) => c.state === 'open').slice(0, limit).map(asRecord),
    getCases: async (ids) => new Map(cases.filter((c) => ids.includes(c.caseId)).map((c) => [c.caseId, asRecord(c)])),
    readerAssignments: async (readerId) =>
      [
        ...(history[readerId] ?? []).map((h) => ({ caseId: h.caseId, readerId, readNo: 1, status: 'submitted', submittedAt: h.submittedAt })),
        ...assignments.filter((a) => a.readerId === readerId && a.readNo > 1),
      ] as AssignmentRecord[],
    assign: async (cmd) => {
      writes.push(cmd);
      const r = load.get(cmd.readerId)!;
      if (assignments.some((a) => a.caseId === cmd.caseId && a.readerId === cmd.readerId && a.readNo === cmd.readNo)) return 'exists';
      if (cmd.readNo === 1 && assignments.filter((a) => a.caseId === cmd.caseId && a.readNo === 1).length >= cmd.readsPerCase) return 'case_full';
      if (r.openCount >= cmd.maxOpenPerReader) return 'reader_at_cap';
      r.openCount++;
      r.totalCount++;
      assignments.push({ caseId: cmd.caseId, readerId: cmd.readerId, readNo: cmd.readNo });
      return 'assigned';
    },
    excludeReaders: async (caseId, readerIds) => void exclusions.push([caseId, readerIds]),
    caseAssignments: async (caseId) =>
      assignments.filter((a) => a.caseId === caseId).map((a) => ({ ...a, status: 'pending', ref: `ref${a.readerId}${a.readNo}` }) as AssignmentRecord),
  };
  return { store, directory, assignments, writes, exclusions };
}

const reader = (readerId: string, site?: string, openCount = 0): ReaderLoad => ({ readerId, site, openCount, totalCount: openCount, active: true });
const openCase = (caseId: string, site?: string): CaseForAssignment => ({ caseId, state: 'open', readers: [], ...(site ? { site } : {}) });
const deps = (s: { store: AssignmentStore; directory: ReaderDirectory }, config = CONFIG) => ({ config, store: s.store, directory: s.directory, now: () => NOW });

describe('POST /assignments', () => {
  const readers = [reader('r1', 'seoul'), reader('r2', 'busan'), reader('r3', 'daegu'), reader('r4', 'seoul')];
  const cases = Array.from({ length: 8 }, (_, i) => openCase(`C${i}`, i % 2 ? 'seoul' : 'jeju'));

  it('gives every case k distinct readers, never one from the case’s site, balanced across readers', async () => {
    const s = fakeStore(readers, cases);
    const result = await bulkAssign(deps(s), actor, { hiddenRepeats: false });
    expect(result.assigned).toHaveLength(16);
    for (const c of cases) {
      const on = s.assignments.filter((a) => a.caseId === c.caseId).map((a) => a.readerId);
      expect(new Set(on).size).toBe(2);
      if (c.site === 'seoul') expect(on).not.toEqual(expect.arrayContaining(['r1']));
      if (c.site === 'seoul') expect(on).not.toContain('r4');
    }
    const perReader = readers.map((r) => s.assignments.filter((a) => a.readerId === r.readerId).length);
    expect(Math.max(...perReader) - Math.min(...perReader)).toBeLessThanOrEqual(4);
  });

  it('is safe to re-run: the second run plans nothing new and writes nothing', async () => {
    const s = fakeStore(readers, cases);
    await bulkAssign(deps(s), actor, { hiddenRepeats: false });
    const writes = s.writes.length;
    const again = await bulkAssign(deps(s), actor, { hiddenRepeats: false });
    expect(again.assigned).toEqual([]);
    expect(s.writes.length).toBe(writes);
  });

  it('respects explicit exclusions and the workload cap, and reports what it could not fill', async () => {
    const s = fakeStore([reader('r2', 'busan'), reader('r3', 'daegu', 9)], [openCase('X1'), openCase('X2')]);
    const result = await bulkAssign(deps(s), actor, { exclusions: [{ readerId: 'r2', caseIds: ['X2'] }], maxOpenPerReader: 10, hiddenRepeats: false });
    expect(s.assignments.filter((a) => a.caseId === 'X2').map((a) => a.readerId)).not.toContain('r2');
    expect(s.assignments.filter((a) => a.readerId === 'r3')).toHaveLength(1);
    // X1 takes r2 and r3 (r3 reaches the cap of 10); X2 then has nobody: r2 excluded, r3 full.
    expect(result.unfilled).toEqual([{ caseId: 'X2', missing: 2, reason: 'capacity' }]);
  });

  it('a write refused by the store (k reached meanwhile) is reported as skipped, not assigned', async () => {
    const s = fakeStore(readers, [openCase('Y1')]);
    const real = s.store.assign;
    let first: string | undefined;
    s.store.assign = async (cmd) => {
      first ??= cmd.readerId;
      return cmd.readerId === first ? 'case_full' : real(cmd);
    };
    const result = await bulkAssign(deps(s), actor, { hiddenRepeats: false });
    expect(result.skipped).toEqual([{ caseId: 'Y1', readerId: first, reason: 'case_full' }]);
    expect(result.assigned.map((a) => a.readerId)).not.toContain(first);
    expect(result.assigned).toHaveLength(1);
  });

  it('re-issues the configured share of old enough reads as hidden repeats (readNo 2, not counted toward k)', async () => {
    const config = { ...CONFIG, assignment: { ...CONFIG.assignment, hiddenRepeatShare: 0.2, hiddenRepeatMinDays: 14 } };
    const old = Array.from({ length: 10 }, (_, i) => ({ caseId: `OLD${i}`, submittedAt: '2026-01-01T00:00:00.000Z' }));
    const recent = [{ caseId: 'NEW', submittedAt: '2026-02-25T00:00:00.000Z' }];
    const s = fakeStore([reader('r1', 'seoul')], [], { r1: [...old, ...recent] });
    const result = await bulkAssign(deps(s, config), actor, {});
    expect(result.repeats).toHaveLength(2);
    expect(result.repeats.every((r) => r.caseId.startsWith('OLD'))).toBe(true);
    expect(s.writes.every((w) => w.readNo === 2)).toBe(true);
    // Re-running does not add more: the reader's share is already out.
    expect((await bulkAssign(deps(s, config), actor, {})).repeats).toEqual([]);
  });

  it('takes each reader\'s site from the directory, normalised, and reports the readers it cannot use, never treating them as site-less', async () => {
    const s = fakeStore(
      [
        reader('ok', ' snuh '),
        reader('far', 'busan'),
        reader('nosite'),
        reader('blank', '   '),
        reader('bad', 'Séoul'),
        { ...reader('off', 'busan'), enabled: false },
        { ...reader('paused', 'busan'), active: false },
      ],
      [openCase('S1', 'SNUH'), openCase('S2', 'jeju')],
    );
    const result = await bulkAssign(deps(s), actor, { hiddenRepeats: false });
    expect(result.skippedReaders).toEqual([
      { readerId: 'nosite', reason: 'site_missing' },
      { readerId: 'blank', reason: 'site_missing' },
      { readerId: 'bad', reason: 'site_invalid' },
      { readerId: 'off', reason: 'disabled' },
      { readerId: 'paused', reason: 'inactive' },
    ]);
    expect(new Set(s.assignments.map((a) => a.readerId))).toEqual(new Set(['ok', 'far']));
    // ' snuh ' is SNUH: never on the SNUH case, and the write carries the normalised code.
    expect(s.assignments.filter((a) => a.caseId === 'S1').map((a) => a.readerId)).toEqual(['far']);
    expect(s.writes.filter((w) => w.readerId === 'ok').map((w) => w.site)).toEqual(['SNUH']);
    expect(result.unfilled).toEqual([{ caseId: 'S1', missing: 1, reason: 'no_eligible_reader' }]);
  });

  it('dryRun plans without writing', async () => {
    const s = fakeStore(readers, cases);
    const result = await bulkAssign(deps(s), actor, { dryRun: true });
    expect(result.assigned.length).toBe(16);
    expect(s.writes).toEqual([]);
  });

  it('named cases that are unknown or not open are skipped with the reason', async () => {
    const s = fakeStore(readers, [openCase('A'), { caseId: 'B', state: 'final', readers: [] }]);
    const result = await bulkAssign(deps(s), actor, { caseIds: ['A', 'B', 'Z'], hiddenRepeats: false });
    expect(result.skipped).toEqual([
      { caseId: 'B', reason: 'not_open (final)' },
      { caseId: 'Z', reason: 'not_found' },
    ]);
  });

  it.each([
    [{ readsPerCase: 3 }, 'readsPerCase', 'max'],
    [{ readsPerCase: 0 }, 'readsPerCase', 'too_small'],
    [{ caseIds: ['ok', 'not ok'] }, 'caseIds.1', 'invalid_format'],
    [{ readerIds: ['nobody'] }, 'readerIds.0', 'not_found'],
    [{ exclusions: [{ readerId: 'r1' }] }, 'exclusions.0.caseIds', 'invalid_type'],
    [{ k: 2 }, 'k', 'unrecognized_keys'],
  ])('400 for %j naming %s (%s)', async (body, field, rule) => {
    const s = fakeStore(readers, cases);
    const e = await rejects(bulkAssign(deps(s), actor, body as Record<string, unknown>));
    expect([e.status, e.details.field, e.details.rule]).toEqual([400, field, rule]);
    expect(s.writes).toEqual([]);
  });
});

describe('GET /progress and GET /audit', () => {
  it('sums the per-state counts and passes the readers page through', async () => {
    const out = await progress(
      {
        countCases: async (s) => ({ open: 5, adjudication: 2, final: 7 })[s as 'open'],
        countAdjudications: async (s) => (s === 'open' ? 2 : 4),
        readersPage: async () => ({ items: [{ readerId: 'r1', openCount: 1, submittedCount: 3 } as never], cursor: 'c2' }),
        listRejections: async () => ({ items: [{ caseId: 'bad', at: NOW, manifestKey: 'cases/bad/manifest.json', reasons: [{ field: 'files', rule: 'missing', message: 'x' }] }] }),
      },
      {},
    );
    expect(out).toMatchObject({ cases: { open: 5, adjudication: 2, final: 7, total: 14 }, adjudications: { open: 2, resolved: 4 }, cursor: 'c2' });
    expect(out.rejections[0].caseId).toBe('bad');
  });

  it.each([['2026-02-30'], ['yesterday'], ['']])('audit day %j is a 400 naming day', async (day) => {
    const e = await rejects(audit({ listAudit: async () => ({ items: [] }) }, { day }));
    expect([e.status, e.details.field]).toEqual([400, 'day']);
  });
});

describe('export bookkeeping', () => {
  it('export ids are sortable by time and match the route pattern', () => {
    const id = newExportId('2026-03-01T09:08:07.123Z', 'abcd1234');
    expect(id).toBe('ex-20260301T090807Z-abcd1234');
    expect(EXPORT_ID.test(id)).toBe(true);
  });

  it('GET /exports/{id}: fresh 15-minute links for a complete export; 404 unknown; 400 malformed', async () => {
    const job: ExportJob = {
      exportId: 'ex-20260301T090807Z-abcd1234',
      status: 'complete',
      requestedBy: 'coord',
      createdAt: NOW,
      formats: ['csv'],
      files: [{ name: 'grades.csv', key: 'exports/ex-20260301T090807Z-abcd1234/grades.csv', bytes: 10, contentType: 'text/csv' }],
      counts: { cases: 1, rows: 1, reads: 2 },
    };
    const ports: Pick<ExportCoreDeps, 'store' | 'links'> = {
      store: { createExportJob: async () => undefined, getIdempotency: async () => undefined, getExportJob: async (id) => (id === job.exportId ? job : undefined), nudgeExportJob: async () => false },
      links: { presign: async (key, seconds) => `https://signed/${key}?X-Amz-Expires=${seconds}` },
    };
    const out = (await getExport(ports, job.exportId, NOW)) as { files: { url: string }[]; expiresInSeconds: number };
    expect(out.expiresInSeconds).toBe(900);
    expect(out.files[0].url).toContain('X-Amz-Expires=900');
    expect((await rejects(getExport(ports, 'ex-20990101T000000Z-00000000', NOW))).status).toBe(404);
    expect((await rejects(getExport(ports, '../../etc', NOW))).status).toBe(400);
  });

  it('GET /exports/{id}: a running job past its lease is put back in the queue by the poll (reported queued); within its lease, running, untouched; stalled only if the requeue was refused and it is still past its lease', async () => {
    const job: ExportJob = {
      exportId: 'ex-20260301T090807Z-abcd1234',
      status: 'running',
      requestedBy: 'coord',
      createdAt: '2026-03-01T09:08:07.000Z',
      formats: ['csv'],
      startedAt: '2026-03-01T09:08:08.000Z',
      leaseUntil: '2026-03-01T09:23:08.000Z',
      attempts: 1,
    };
    const nudged: { seen: unknown; at: string }[] = [];
    let accept = true;
    const ports: Pick<ExportCoreDeps, 'store' | 'links'> = {
      store: {
        createExportJob: async () => undefined,
        getIdempotency: async () => undefined,
        getExportJob: async () => job,
        nudgeExportJob: async (_id, seen, at) => {
          nudged.push({ seen, at });
          return accept;
        },
      },
      links: { presign: async () => 'unused' },
    };
    const within = await getExport(ports, job.exportId, '2026-03-01T09:23:07.999Z');
    expect(within).toMatchObject({ status: 'running', startedAt: job.startedAt });
    expect(within).not.toHaveProperty('hint');
    expect(nudged).toEqual([]);
    const past = await getExport(ports, job.exportId, '2026-03-01T09:23:08.001Z');
    expect(past).toMatchObject({ status: 'queued' });
    expect(nudged).toEqual([{ seen: job, at: '2026-03-01T09:23:08.001Z' }]);
    accept = false;
    const refused = await getExport(ports, job.exportId, '2026-03-01T09:23:08.002Z');
    expect(refused).toMatchObject({ status: 'stalled' });
    expect((refused as { hint: string }).hint).toMatch(/POST \/exports/);
    expect(refused).not.toHaveProperty('files');
  });
});
