/**
 * Fault injection (issue 9, item 16): every AWS call of every write route, dropped or cut.
 *
 * For each route a clean run first counts its calls through the harness's proxy (n), and records
 * the table before (old) and after (new). Then, for k = 1..n and both faults, the same arranged
 * state is run again with call k broken: `drop` (the request never reaches the emulator) or `cut`
 * (the emulator applied it, the connection is reset before the answer). After each broken run the
 * table must hold the old state or the new one, never a mix (routes that write several
 * independent transactions: every transaction whole); then the client's retry (the same request,
 * with the same Idempotency-Key where the route takes one) must leave exactly the new state: no
 * read, history entry or audit event lost or doubled.
 *
 * The functions' SDK clients run with one attempt (AWS_MAX_ATTEMPTS=1), so a broken call fails the
 * invocation, as a cut that outlasts the SDK's retries or the Lambda's timeout does. (The SDK's own
 * retry of a TransactWriteItems is safe on DynamoDB, which honours the ClientRequestToken the SDK
 * adds for ten minutes; moto ignores that token, so here its retry would be a second transaction.)
 * AppStream (the stand-in) is not behind the proxy: only emulator calls are broken.
 *
 * States are compared as multisets of items with what differs between two runs of the same
 * request masked: times, refs, audit and export ids, session hashes.
 */
process.env.AWS_MAX_ATTEMPTS = '1';

import { handler as coordinatorApi } from '../../lambda/coordinator-api/handler';
import { handler as readerApi } from '../../lambda/reader-api/handler';
import { handler as adjudicationApi } from '../../lambda/adjudication-api/handler';
import { handler as registerCase } from '../../lambda/register-case/handler';
import { startHarness, type CallResult, type Harness } from '../helpers/api-harness';
import type { FaultMode } from '../helpers/serial-proxy';
import { grade } from '../helpers/grades';
import { assign, seedCase, validAnswers } from '../helpers/reading-fixtures';
import { seedReadCase } from '../helpers/reading-seed';

jest.setTimeout(120_000);

let h: Harness;
let directory: Record<string, string>;
beforeAll(async () => {
  h = await startHarness();
  directory = await h.directoryReaders([
    ['fault-r1', 'SEOUL'],
    ['fault-r2', 'BUSAN'],
  ]);
  await h.putObject('cases/REG1/fundus/OD.jpg', 'od');
  await h.putObject('cases/REG1/manifest.json', JSON.stringify({ caseId: 'REG1', files: [{ key: 'fundus/OD.jpg', exam: 'fundus', eye: 'OD' }] }));
  // Names a file that is not there: rejected.
  await h.putObject('cases/REJ1/manifest.json', JSON.stringify({ caseId: 'REJ1', files: [{ key: 'fundus/OS.jpg', exam: 'fundus', eye: 'OS' }] }));
}, 60_000);
afterAll(() => h?.stop(), 60_000);

// ---------------------------------------------------------------------------------------------
// Comparing states

const ISO = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{3})?Z/g;
/**
 * A day alone, as in an audit event's partition key (`AUDIT#<day>`): masked like the times, or a
 * scenario whose clean run and a broken run fell on either side of midnight (UTC) found a mix.
 */
const DAY = /(^|#)\d{4}-\d{2}-\d{2}(?=$|#)/g;
const mask = (v: unknown, key = ''): unknown => {
  if (typeof v === 'string') {
    // A fingerprint hashes the request's ref, which each arranged run draws anew.
    if (key === 'sessionHash' || key === 'id' || key === 'exportId' || key === 'fingerprint') return `<${key}>`;
    return v
      .replace(ISO, '<t>')
      .replace(DAY, '$1<day>')
      .replace(/\d{8}T\d{6}Z-[a-z0-9]{8}/g, '<export>')
      .replace(/(^|#)[a-z2-7]{12}(?=$|#)/g, '$1<ref>')
      .replace(/(^|#)[0-9a-f]{16}$/, '$1<id>')
      .replace(/^SESSION#[A-Za-z0-9_-]{43}$/, 'SESSION#<hash>');
  }
  if (Array.isArray(v)) return v.map((x) => mask(x));
  if (v instanceof Set) return [...v].map((x) => mask(x)).sort();
  if (v && typeof v === 'object') {
    return Object.fromEntries(
      Object.keys(v)
        .filter((k) => k !== 'ttl')
        .sort()
        .map((k) => [k, mask((v as Record<string, unknown>)[k], k)]),
    );
  }
  return v;
};
/** A table's items (a Scan's) as a sorted list of masked items. */
const masked = (items: Record<string, unknown>[]) => items.map((i) => JSON.stringify(mask(i))).sort();

// ---------------------------------------------------------------------------------------------
// The routes

interface Scenario {
  name: string;
  /** Arranges the state before the request, on an empty table. */
  arrange(): Promise<void>;
  /** The request, exactly as the client sends it each time (same Idempotency-Key). */
  act(): Promise<CallResult | unknown>;
  /** The route writes several independent transactions: after a fault, each must be whole (instead of old-or-new). */
  whole?(items: Record<string, any>[]): void;
  /** Not idempotent by design (every call is a new thing): after the retry, this instead of "exactly the new state". */
  afterRetry?(items: Record<string, any>[]): void;
}

const reader = (routeKey: string, ref: string, body?: unknown, headers?: Record<string, string>) =>
  h.call(readerApi, { routeKey, token: h.users.reader.token, pathParameters: { ref }, ...(body ? { body } : {}), ...(headers ? { headers } : {}) });
let ref = '';

const draft = { eyes: { OD: { fundusQuality: 'good' } }, participant: {} };
const byAction = (items: Record<string, any>[], action: string) => items.filter((i) => i.action === action);

const SCENARIOS: Scenario[] = [
  {
    name: 'claim (POST /queue/next)',
    arrange: () => seedCase(h, 'F1'),
    act: () => h.call(readerApi, { routeKey: 'POST /queue/next', token: h.users.reader.token }),
  },
  {
    name: 'session issue (POST /assignments/{ref}/session)',
    arrange: async () => {
      await seedCase(h, 'F1');
      ref = await assign(h, 'F1', h.users.reader);
    },
    act: () => reader('POST /assignments/{ref}/session', ref),
    // Each call issues a new session (a URL that never arrived is simply not used): every session
    // has its audit event and no event is without its session.
    whole: (items) => {
      const sessions = items.filter((i) => String(i.pk).startsWith('SESSION#')).map((i) => i.sessionHash).sort();
      expect(byAction(items, 'session_issued').map((e) => e.sessionHash).sort()).toEqual(sessions);
      expect(sessions.length).toBeLessThanOrEqual(1);
    },
    afterRetry: (items) => {
      const sessions = items.filter((i) => String(i.pk).startsWith('SESSION#')).map((i) => i.sessionHash).sort();
      expect(byAction(items, 'session_issued').map((e) => e.sessionHash).sort()).toEqual(sessions);
      expect(sessions.length).toBeGreaterThanOrEqual(1);
    },
  },
  {
    name: 'draft save (PUT /assignments/{ref}/read)',
    arrange: async () => {
      await seedCase(h, 'F1');
      ref = await assign(h, 'F1', h.users.reader);
    },
    act: () => reader('PUT /assignments/{ref}/read', ref, { answers: draft }, { 'Idempotency-Key': 'fault-save' }),
  },
  {
    name: 'submit, the k-th read: the outcome in the same transaction (PUT /assignments/{ref}/read)',
    arrange: async () => {
      await seedCase(h, 'F1');
      const other = await assign(h, 'F1', h.users.reader2);
      const res = await h.call(readerApi, { routeKey: 'PUT /assignments/{ref}/read', token: h.users.reader2.token, pathParameters: { ref: other }, body: { answers: validAnswers({ icdr: 'severe_npdr' }), submit: true } });
      expect(res.status).toBe(201);
      ref = await assign(h, 'F1', h.users.reader);
    },
    act: () => reader('PUT /assignments/{ref}/read', ref, { answers: validAnswers(), submit: true }, { 'Idempotency-Key': 'fault-submit' }),
  },
  {
    name: 'adjudication resolve (PUT /adjudications/{caseId})',
    arrange: async () => {
      await seedReadCase(h, 'ADJ1', [
        { readerId: 'fault-x', answers: grade({ OD: { icdrLevel: 'mild_npdr' } }) },
        { readerId: 'fault-y', answers: grade({ OD: { icdrLevel: 'severe_npdr' } }) },
      ]);
    },
    act: () =>
      h.call(adjudicationApi, {
        routeKey: 'PUT /adjudications/{caseId}',
        token: h.users.adjudicator.token,
        pathParameters: { caseId: 'ADJ1' },
        headers: { 'Idempotency-Key': 'fault-adjudication' },
        body: { picks: { eyes: { OD: { icdrLevel: 'A' } } }, reasonCode: 'read_a_correct' },
      }),
  },
  {
    name: 'bulk assignment (POST /assignments)',
    arrange: async () => {
      await seedCase(h, 'B1');
      await seedCase(h, 'B2');
    },
    // Plans the same run again and skips what exists (every assignment its own transaction).
    act: () =>
      h.call(coordinatorApi, {
        routeKey: 'POST /assignments',
        token: h.users.coordinator.token,
        body: { caseIds: ['B1', 'B2'], readerIds: [directory['fault-r1'], directory['fault-r2']], hiddenRepeats: false, seed: 'faults' },
      }),
    whole: (items) => {
      const assignments = items.filter((i) => String(i.sk).startsWith('ASSIGN#'));
      for (const a of assignments) {
        expect(items.some((i) => i.pk === `REF#${a.ref}`)).toBe(true);
        expect([...(items.find((i) => i.pk === a.pk && i.sk === 'META')!.readers ?? [])]).toContain(a.readerId);
        expect(byAction(items, 'case_assigned').filter((e) => e.caseId === a.caseId && e.detail.readerId === a.readerId)).toHaveLength(1);
      }
      expect(byAction(items, 'case_assigned')).toHaveLength(assignments.length);
      expect(items.filter((i) => String(i.pk).startsWith('REF#'))).toHaveLength(assignments.length);
      for (const c of items.filter((i) => i.sk === 'META' && String(i.pk).startsWith('CASE#'))) expect(c.assignedCount).toBe([...(c.readers ?? [])].length);
      for (const r of items.filter((i) => i.sk === 'PROFILE')) expect(r.openCount).toBe(assignments.filter((a) => a.readerId === r.readerId).length);
    },
  },
  {
    name: 'registration (manifest event, redelivered as S3 does)',
    arrange: async () => undefined,
    act: () => registerCase(h.s3Event('cases/REG1/manifest.json', { sequencer: '00A1' })),
  },
  {
    name: 'rejection (a bad manifest event, redelivered as S3 does)',
    arrange: async () => undefined,
    act: () => registerCase(h.s3Event('cases/REJ1/manifest.json', { sequencer: '00B1' })),
  },
  {
    name: 'export request (POST /exports)',
    arrange: async () => undefined,
    act: () => h.call(coordinatorApi, { routeKey: 'POST /exports', token: h.users.coordinator.token, headers: { 'Idempotency-Key': 'fault-export' }, body: { formats: ['csv'] } }),
  },
  {
    name: 'withdrawal (POST /assignments/{ref}/withdraw)',
    arrange: async () => {
      await seedCase(h, 'F1');
      ref = await assign(h, 'F1', h.users.reader);
      expect((await reader('PUT /assignments/{ref}/read', ref, { answers: draft })).status).toBe(201);
    },
    act: () =>
      h.call(coordinatorApi, {
        routeKey: 'POST /assignments/{ref}/withdraw',
        token: h.users.coordinator.token,
        pathParameters: { ref },
        headers: { 'Idempotency-Key': 'fault-withdraw' },
        body: { reason: 'workload' },
      }),
  },
];

/** The route's answer, as a status (a handler that threw is a 500, as API Gateway answers it). */
async function run(s: Scenario): Promise<number> {
  try {
    const res = (await s.act()) as CallResult | { outcomes: unknown[] };
    return 'status' in res ? res.status : 200;
  } catch {
    return 500;
  }
}

/** Calls that change something: DynamoDB writes, S3 PUT/POST/DELETE. */
const WRITE = /^(PutItem|UpdateItem|DeleteItem|TransactWriteItems|BatchWriteItem|PUT |POST |DELETE )/;

const keyOf = (i: Record<string, unknown>) => `${i.pk}\u0000${i.sk}`;

/**
 * Puts the table back to `items` (cheaper than arranging again, and the same refs every time):
 * `current` is what the table holds now (the caller's last scan); its items that `items` does not
 * have are deleted, and every item of `items` is put back whole, over whatever its key holds.
 */
async function restore(items: Record<string, unknown>[], current: Record<string, unknown>[]): Promise<void> {
  const keep = new Set(items.map(keyOf));
  const writes = [
    ...current.filter((i) => !keep.has(keyOf(i))).map((i) => ({ DeleteRequest: { Key: { pk: i.pk, sk: i.sk } } })),
    ...items.map((Item) => ({ PutRequest: { Item } })),
  ];
  await h.writeBatch(writes);
}

describe.each(SCENARIOS.map((s) => [s.name, s] as const))('%s', (_name, s) => {
  test('every call dropped or cut: old or new state, and the retry finishes it exactly once', async () => {
    await h.clearTable();
    await s.arrange();
    const arranged = await h.snapshotTable();
    const old = masked(arranged);
    const before = h.faults.count();
    expect(await run(s)).toBeLessThan(300);
    const calls = h.faults.calls(before);
    const n = calls.length;
    // What the table holds is always the last Scan's items (nothing else writes meanwhile).
    let current = await h.snapshotTable();
    const done = masked(current);
    expect(n).toBeGreaterThan(0);
    expect(done).not.toEqual(old);

    const findings: string[] = [];
    for (const mode of ['drop', 'cut'] as FaultMode[]) {
      for (let k = 1; k <= n; k++) {
        // A read that is cut is, for the caller, a read that was dropped: cut only the writes.
        if (mode === 'cut' && !WRITE.test(calls[k - 1])) continue;
        await restore(arranged, current);
        h.faults.arm(k, mode);
        const status = await run(s);
        h.faults.disarm();
        const at = `${mode} at call ${k}/${n} ${calls[k - 1]} (${status})`;
        const items = await h.snapshotTable();
        if (s.whole) s.whole(items);
        else {
          const now = masked(items);
          if (JSON.stringify(now) !== JSON.stringify(old) && JSON.stringify(now) !== JSON.stringify(done)) findings.push(`${at}: a mix of old and new`);
        }
        const retried = await run(s);
        if (retried >= 300) findings.push(`${at}: the retry answered ${retried}`);
        current = await h.snapshotTable();
        if (s.afterRetry) s.afterRetry(current);
        else if (JSON.stringify(masked(current)) !== JSON.stringify(done)) findings.push(`${at}: after the retry the state is not the clean run's`);
      }
    }
    expect(findings).toEqual([]);
  });
});
