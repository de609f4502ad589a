/**
 * The coordinator routes against moto (DynamoDB, S3) through the real SDK clients, with tokens
 * from the emulated user pool: bulk assignment and its invariants, hidden repeats that look like
 * any assignment to the reader, progress without scans, the audit log, queued exports (run by
 * the worker: test/lambda/export-worker), and fast-check properties over the write routes' bodies.
 */
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { AdminDisableUserCommand } from '@aws-sdk/client-cognito-identity-provider';
import fc from 'fast-check';
import { handler } from '../../../lambda/coordinator-api/handler';
import { handler as readerHandler } from '../../../lambda/reader-api/handler';
import { rejectionPutTx, transact } from '../../../lambda/store';
import { startHarness, TEST_SITE, type Harness } from '../../helpers/api-harness';
import { runExportWorker } from '../../helpers/export-worker';
import { grade } from '../../helpers/grades';
import { losingRace, seedCase, seedReadCase, seedSubmittedRead } from '../../helpers/reading-seed';
import { cognitoReaderGroup } from '../../../lambda/coordinator-api/adapters';
import { readingStore } from '../../../lambda/store';
import { utcDayClearOfMidnight } from '../../helpers/utc-day';

jest.setTimeout(120_000);

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
}, 60_000);
afterAll(() => h?.stop(), 60_000); // moto can take seconds to exit after a heavy suite
beforeEach(async () => {
  await h.clearTable();
  await h.clearDirectory();
});

const NOW = new Date().toISOString();
const call = (routeKey: string, opts: { body?: unknown; query?: Record<string, string>; pathParameters?: Record<string, string>; token?: string } = {}) =>
  h.call(handler, { routeKey, token: opts.token ?? h.users.coordinator.token, ...opts });

/**
 * Readers in the directory's reader group (where bulk assignment takes them and their sites from),
 * each with a profile; returns name → reader id (the Cognito sub).
 */
async function readers(specs: [string, string | null][]): Promise<Record<string, string>> {
  const ids = await h.directoryReaders(specs);
  for (const [name, site] of specs) await h.store.ensureReader({ readerId: ids[name], ...(site ? { site } : {}), at: NOW });
  return ids;
}

const assignmentsOf = async (caseId: string) =>
  (await h.snapshotTable()).filter((i) => i.pk === `CASE#${caseId}` && String(i.sk).startsWith('ASSIGN#')) as Record<string, any>[];

describe('POST /assignments', () => {
  it('k = 2 distinct readers per case, never a same-site reader, within caps; re-running changes nothing', async () => {
    const r = await readers([
      ['r-seoul', 'seoul'],
      ['r-busan', 'busan'],
      ['r-daegu', 'daegu'],
    ]);
    for (const id of ['A1', 'A2', 'A3']) await seedCase(h, id);
    await seedCase(h, 'A4', 'SEOUL');
    const res = await call('POST /assignments', { body: { hiddenRepeats: false } });
    expect(res.status).toBe(200);
    expect(res.json.assigned).toHaveLength(8);
    for (const id of ['A1', 'A2', 'A3', 'A4']) {
      const on = (await assignmentsOf(id)).map((a) => a.readerId);
      expect(new Set(on).size).toBe(2);
      expect(await h.store.getCase(id)).toMatchObject({ assignedCount: 2 });
    }
    expect((await assignmentsOf('A4')).map((a) => a.readerId)).not.toContain(r['r-seoul']);
    const before = await h.snapshotTable();
    const again = await call('POST /assignments', { body: { hiddenRepeats: false } });
    expect([again.status, again.json.assigned]).toEqual([200, []]);
    expect(await h.snapshotTable()).toEqual(before);
  });

  it("takes each reader's site from the directory (not the profile), normalised, and reports the readers it skipped", async () => {
    // No profiles at all: these readers never called GET /me. 'r-snuh' is ' snuh ' in Cognito.
    const r = await h.directoryReaders([
      ['r-snuh', ' snuh '],
      ['r-busan', 'BUSAN'],
      ['r-none', null],
      ['r-bad', 'sé oul'],
      ['r-off', 'DAEGU'],
    ]);
    await h.cognito.send(new AdminDisableUserCommand({ UserPoolId: h.pool.userPoolId, Username: 'r-off' }));
    await seedCase(h, 'S1', 'SNUH');
    await seedCase(h, 'S2');
    const res = await call('POST /assignments', { body: { hiddenRepeats: false, readsPerCase: 2 } });
    expect(res.status).toBe(200);
    expect(res.json.skippedReaders).toEqual(
      expect.arrayContaining([
        { readerId: r['r-none'], reason: 'site_missing' },
        { readerId: r['r-bad'], reason: 'site_invalid' },
        { readerId: r['r-off'], reason: 'disabled' },
      ]),
    );
    expect(res.json.skippedReaders).toHaveLength(3);
    expect((await assignmentsOf('S1')).map((a) => a.readerId)).toEqual([r['r-busan']]);
    expect((await assignmentsOf('S2')).map((a) => a.readerId).sort()).toEqual([r['r-snuh'], r['r-busan']].sort());
    expect(res.json.unfilled).toEqual([{ caseId: 'S1', missing: 1, reason: 'no_eligible_reader' }]);
  });

  it('a directory that cannot be read is a 503 and nothing is assigned (never a run with an empty pool)', async () => {
    const e = await cognitoReaderGroup(h.cognito, 'ap-northeast-2_NoSuchPool').members().catch((x) => x);
    expect([e.status, e.code]).toEqual([503, 'directory_unavailable']);
  });

  it('an assignment that loses the race for the last slot is refused: never past k, never a reader twice', async () => {
    const r = await readers([
      ['r1', 'S1'],
      ['r2', 'S2'],
      ['r3', 'S3'],
    ]);
    await seedCase(h, 'B1');
    await call('POST /assignments', { body: { caseIds: ['B1'], readerIds: [r.r1], readsPerCase: 1, hiddenRepeats: false } });
    const cmd = { caseId: 'B1', readNo: 1, readsPerCase: 2, studyReadsPerCase: 2, maxOpenPerReader: 10, at: NOW, actor: 'coord' };
    // r2 takes the last slot between r3's read of the case and r3's transaction.
    const racing = losingRace(h.ddb, () => h.store.assign({ ...cmd, readerId: r.r2 }));
    expect(await readingStore(racing, h.tableName).assign({ ...cmd, readerId: r.r3 })).toBe('case_full');
    expect(racing.raced()).toBe(true);
    expect((await assignmentsOf('B1')).map((a) => a.readerId).sort()).toEqual([r.r1, r.r2].sort());
    expect(await h.store.getCase('B1')).toMatchObject({ assignedCount: 2 });
    // The same reader twice: refused by the case's reader set, not by luck.
    expect(await h.store.assign({ ...cmd, readerId: r.r1, readsPerCase: 3 })).toBe('exists');
  });

  it('exclusions are recorded on the case: a later run without them, and "claim next", still keep the reader off it; a dry run records nothing', async () => {
    const r = await readers([
      ['r1', 'S1'],
      ['r2', 'S2'],
      ['r3', 'S3'],
    ]);
    await seedCase(h, 'E1');
    await seedCase(h, 'E2');
    const dry = await call('POST /assignments', { body: { caseIds: ['E2'], exclusions: [{ readerId: r.r1, caseIds: ['E2'] }], hiddenRepeats: false, dryRun: true } });
    expect(dry.status).toBe(200);
    expect((await h.store.getCase('E2'))?.excluded).toBeUndefined();

    const first = await call('POST /assignments', { body: { caseIds: ['E1'], readsPerCase: 1, exclusions: [{ readerId: r.r1, caseIds: ['E1', 'E2', 'NOPE'] }], hiddenRepeats: false } });
    expect(first.status).toBe(200);
    expect(await h.store.getCase('E1')).toMatchObject({ excluded: [r.r1], assignedCount: 1 });
    expect(await h.store.getCase('E2')).toMatchObject({ excluded: [r.r1] });
    expect(await h.store.getCase('NOPE')).toBeUndefined();
    // A later run without exclusions fills the second slot of E1 and both of E2, never with r1.
    const later = await call('POST /assignments', { body: { caseIds: ['E1', 'E2'], hiddenRepeats: false } });
    expect(later.json.assigned).toHaveLength(3);
    for (const id of ['E1', 'E2']) expect((await assignmentsOf(id)).map((a) => a.readerId)).not.toContain(r.r1);
    // The write itself refuses an excluded reader, whatever the plan said.
    const cmd = { readNo: 1, readsPerCase: 3, studyReadsPerCase: 3, maxOpenPerReader: 10, at: NOW, actor: 'coord' };
    await seedCase(h, 'E3');
    await call('POST /assignments', { body: { caseIds: ['E3'], readsPerCase: 1, exclusions: [{ readerId: r.r1, caseIds: ['E3'] }], hiddenRepeats: false } });
    expect(await h.store.assign({ ...cmd, caseId: 'E3', readerId: r.r1 })).toBe('excluded');
  });

  it('a run with a smaller k than the study leaves the case claimable for the remaining slots', async () => {
    const r = await readers([['r1', 'S1']]);
    await seedCase(h, 'M1');
    const res = await call('POST /assignments', { body: { caseIds: ['M1'], readsPerCase: 1, hiddenRepeats: false } });
    expect(res.json.assigned).toEqual([{ caseId: 'M1', readerId: r.r1 }]);
    const item = (await h.snapshotTable()).find((i) => i.pk === 'CASE#M1' && i.sk === 'META')!;
    expect(item).toMatchObject({ assignedCount: 1, gsi2pk: 'CLAIMABLE' });
    const claimant = await h.createUser(`claimant-${Date.now()}`, ['reader']);
    const claimed = await h.call(readerHandler, { routeKey: 'POST /queue/next', token: claimant.token });
    expect(claimed.json).toMatchObject({ claimed: true });
    expect(await h.store.getCase('M1')).toMatchObject({ assignedCount: 2, readers: expect.arrayContaining([r.r1, claimant.sub]) });
  });

  it('an assignment whose random ref is already taken is retried with a new ref: one assignment, one slot, the old ref untouched', async () => {
    const r = await readers([
      ['r1', 'S1'],
      ['r2', 'S2'],
    ]);
    await seedCase(h, 'K1');
    await seedCase(h, 'K2');
    const cmd = { readNo: 1, readsPerCase: 2, studyReadsPerCase: 2, maxOpenPerReader: 10, at: NOW, actor: 'coord' };
    const first = ['aaaaaaaaaaaa'];
    expect(await h.store.assign({ ...cmd, caseId: 'K1', readerId: r.r1, newRef: () => first.shift()! })).toBe('assigned');
    const drawn = ['aaaaaaaaaaaa', 'bbbbbbbbbbbb'];
    expect(await h.store.assign({ ...cmd, caseId: 'K2', readerId: r.r2, newRef: () => drawn.shift()! })).toBe('assigned');
    expect(drawn).toEqual([]);
    expect(await h.store.getAssignmentRef('aaaaaaaaaaaa')).toMatchObject({ caseId: 'K1', readerId: r.r1 });
    expect(await h.store.getAssignmentRef('bbbbbbbbbbbb')).toMatchObject({ caseId: 'K2', readerId: r.r2 });
    expect((await assignmentsOf('K2')).map((a) => [a.readerId, a.ref])).toEqual([[r.r2, 'bbbbbbbbbbbb']]);
    expect(await h.store.getCase('K2')).toMatchObject({ assignedCount: 1, readers: [r.r2] });
  });

  it('issues hidden repeats ≥ 14 days later that the reader cannot tell from a first read', async () => {
    const reader = h.users.reader;
    await readers([[reader.username, TEST_SITE]]);
    const old = new Date(Date.now() - 30 * 86_400_000).toISOString();
    // 5 % of 20 old reads → 1 repeat.
    for (let i = 0; i < 20; i++) {
      await seedCase(h, `R${i}`);
      await seedSubmittedRead(h, `R${i}`, reader.sub, grade(), { at: old });
    }
    await seedCase(h, 'FRESH');
    const res = await call('POST /assignments', { body: { readerIds: [reader.sub], readsPerCase: 1 } });
    expect(res.status).toBe(200);
    expect(res.json.repeats).toHaveLength(1);
    const repeatCase = res.json.repeats[0].caseId;
    const items = await assignmentsOf(repeatCase);
    expect(items.map((a) => [a.readNo, a.status])).toEqual([
      [1, 'submitted'],
      [2, 'pending'],
    ]);
    // Each assignment has its own ref; the repeat's is new, so it does not give the first read away.
    expect(items[0].ref).toMatch(/^[a-z2-7]{12}$/);
    expect(items[1].ref).toMatch(/^[a-z2-7]{12}$/);
    expect(items[1].ref).not.toBe(items[0].ref);
    // The reader's queue shows both open items with exactly the same fields: nothing marks a repeat,
    // and no case id (the refs resolve to FRESH and the repeated case only server-side).
    const queue = await h.call(readerHandler, { routeKey: 'GET /queue', token: reader.token, query: { status: 'pending' } });
    expect(queue.status).toBe(200);
    const pending = queue.json.items as Record<string, unknown>[];
    const casesOf = await Promise.all(pending.map(async (e) => (await h.store.getAssignmentRef(e.ref as string))?.caseId));
    expect(casesOf.sort()).toEqual(['FRESH', repeatCase].sort());
    expect(Object.keys(pending[0]).sort()).toEqual(Object.keys(pending[1]).sort());
    expect(JSON.stringify(queue.json)).not.toMatch(/repeat|readNo|caseId/i);
    expect(JSON.stringify(queue.json)).not.toContain(repeatCase);

    // Submitted like any read (by its ref), the repeat feeds intra-reader agreement in the export.
    const put = await h.call(readerHandler, {
      routeKey: 'PUT /assignments/{ref}/read',
      pathParameters: { ref: items[1].ref },
      token: reader.token,
      headers: { 'Idempotency-Key': 'repeat-submit-1' },
      body: { answers: grade({ OD: { icdrLevel: 'mild_npdr' } }), submit: true },
    });
    expect(put.status).toBe(201);
    const exported = await call('POST /exports', { body: { formats: ['csv'] } });
    expect(exported.status).toBe(202);
    await runExportWorker(h, exported.json.exportId);
    const agreement = await (await h.s3.send(new GetObjectCommand({ Bucket: h.bucketName, Key: `exports/${exported.json.exportId}/agreement.csv` }))).Body!.transformToString();
    const intra = agreement.split('\r\n').map((l) => l.split(',')).find((r) => r[0] === 'intra_reader' && r[2] === 'icdrLevel');
    expect(intra?.slice(3, 7)).toEqual(['all', '2', '0', '0.5']); // OD differs, OS agrees
  });

  it('a bad body is a 400 naming the field, and writes nothing', async () => {
    await readers([['r1', 'S1']]);
    await seedCase(h, 'C1');
    const before = await h.snapshotTable();
    const res = await call('POST /assignments', { body: { readsPerCase: 9 } });
    expect([res.status, res.json.error.field]).toEqual([400, 'readsPerCase']);
    expect(await h.snapshotTable()).toEqual(before);
  });
});

describe('GET /progress and GET /audit', () => {
  it('counts cases per state and adjudications through the indexes, lists readers and rejected manifests', async () => {
    const r = await readers([['r1', 'seoul']]);
    await seedCase(h, 'P1');
    await seedReadCase(h, 'P2', [
      { readerId: 'x1', answers: grade() },
      { readerId: 'x2', answers: grade() },
    ]);
    await seedReadCase(h, 'P3', [
      { readerId: 'x1', answers: grade({ OD: { icdrLevel: 'pdr' } }) },
      { readerId: 'x2', answers: grade() },
    ]);
    await transact(h.ddb, [rejectionPutTx(h.tableName, { caseId: 'BAD', at: NOW, manifestKey: 'cases/BAD/manifest.json', reasons: [{ field: 'files.0.key', rule: 'missing', message: 'no such object' }] })]);
    const res = await call('GET /progress', { token: h.users.admin.token });
    expect(res.status).toBe(200);
    expect(res.json.cases).toEqual({ open: 1, adjudication: 1, final: 1, total: 3 });
    expect(res.json.adjudications).toEqual({ open: 1, resolved: 0 });
    expect(res.json.readers.map((r: { readerId: string }) => r.readerId).sort()).toEqual([r.r1, 'x1', 'x2'].sort());
    expect(res.json.rejections).toEqual([{ caseId: 'BAD', at: NOW, reasons: [{ field: 'files.0.key', rule: 'missing', message: 'no such object' }] }]);
  });

  it('pages the outstanding rejections with their own cursor, like the other lists; a foreign cursor is a 400', async () => {
    const reasons = [{ field: 'files.0.key', rule: 'missing', message: 'no such object' }];
    const ats = Array.from({ length: 250 }, (_, i) => new Date(Date.parse('2026-01-01T00:00:00.000Z') + i * 1000).toISOString());
    for (let i = 0; i < ats.length; i += 25) {
      await transact(h.ddb, ats.slice(i, i + 25).map((at, j) => ({ ...rejectionPutTx(h.tableName, { caseId: `BAD${i + j}`, at, manifestKey: 'x', reasons }), label: `r${j}` })));
    }
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const res = await call('GET /progress', { query: { rejections: '100', ...(cursor ? { rejectionsCursor: cursor } : {}) } });
      expect(res.status).toBe(200);
      expect(res.json.rejections.length).toBeLessThanOrEqual(100);
      seen.push(...res.json.rejections.map((r: { caseId: string }) => r.caseId));
      cursor = res.json.rejectionsCursor;
      pages++;
    } while (cursor && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toHaveLength(250);
    expect(new Set(seen).size).toBe(250);
    expect(seen[0]).toBe('BAD249'); // newest first
    const foreign = Buffer.from(JSON.stringify({ pk: 'x', sk: 'y', gsi1pk: 'CASES', gsi1sk: 'z' })).toString('base64url');
    const bad = await call('GET /progress', { query: { rejectionsCursor: foreign } });
    expect([bad.status, bad.json.error.field]).toEqual([400, 'rejectionsCursor']);
  });

  it('lists one day of audit events, paginated; the day is required', async () => {
    // The assignments' events are written now, on the day of their own time: the day asked for is
    // taken just before, with no midnight (UTC) in between (NOW, the file's start, could be yesterday).
    const day = await utcDayClearOfMidnight();
    await readers([
      ['r1', 'S1'],
      ['r2', 'S2'],
    ]);
    await seedCase(h, 'D1');
    await call('POST /assignments', { body: { hiddenRepeats: false } });
    const p1 = await call('GET /audit', { query: { day, limit: '1' } });
    expect(p1.status).toBe(200);
    expect(p1.json.items).toHaveLength(1);
    const p2 = await call('GET /audit', { query: { day, limit: '10', cursor: p1.json.cursor } });
    expect([...p1.json.items, ...p2.json.items].filter((e: { action: string }) => e.action === 'case_assigned')).toHaveLength(2);
    const bad = await call('GET /audit', { query: {} });
    expect([bad.status, bad.json.error.field]).toEqual([400, 'day']);
  });
});

describe('properties: 1,000 generated bodies per write route', () => {
  // Ten requests per run, in parallel. "Wrote nothing" is the serial proxy's record of the run's
  // calls (every AWS call goes through it): no state-changing call accepted, in any service. It
  // replaced a table Scan per run and is stronger (it also sees a write that a later one undid).
  async function property(route: string, body: fc.Arbitrary<unknown>, opts: { stableOnSuccess: boolean }) {
    let verified = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(body, { minLength: 10, maxLength: 10 }), async (batch) => {
        const from = h.faults.count();
        const results = await Promise.all(batch.map((b) => call(route, { body: typeof b === 'string' ? b : JSON.stringify(b) })));
        for (const r of results) expect(r.status).toBeLessThan(500);
        const refused = results.every((r) => r.status >= 400);
        if (refused || opts.stableOnSuccess) {
          expect(h.faults.changes(from)).toEqual([]);
          verified += results.filter((r) => r.status >= 400).length;
        }
      }),
      { numRuns: 100 },
    );
    return verified;
  }

  const id = fc.oneof(fc.constantFrom('C1', 'C2', 'nope', 'r1', 'r2', ''), fc.string({ maxLength: 70 }));
  const json = fc.jsonValue({ maxDepth: 2 });

  it('POST /assignments: never a 5xx; a refused body writes nothing; no case ever past k', async () => {
    // Both cases already have k readers and nobody has old reads: a valid body plans nothing, so
    // the table must be identical after every run, whatever the statuses.
    const r = await readers([
      ['r1', 'seoul'],
      ['r2', 'busan'],
      ['r3', null],
    ]);
    for (const c of ['C1', 'C2']) {
      await seedCase(h, c);
      await call('POST /assignments', { body: { caseIds: [c], readerIds: [r.r1, r.r2], hiddenRepeats: false } });
    }
    const body = fc.oneof(
      {
        weight: 3,
        arbitrary: fc.record(
          {
            caseIds: fc.oneof(fc.array(id, { maxLength: 4 }), json),
            limit: fc.oneof(fc.integer({ min: -5, max: 6000 }), json),
            readsPerCase: fc.oneof(fc.integer({ min: -1, max: 6 }), json),
            maxOpenPerReader: fc.oneof(fc.integer({ min: 0, max: 2000 }), json),
            readerIds: fc.oneof(fc.array(id, { maxLength: 3 }), json),
            exclusions: fc.oneof(fc.array(fc.record({ readerId: id, caseIds: fc.array(id, { maxLength: 2 }) }), { maxLength: 2 }), json),
            allowSameSite: fc.oneof(fc.boolean(), json),
            hiddenRepeats: fc.oneof(fc.boolean(), json),
            dryRun: fc.oneof(fc.boolean(), json),
            seed: fc.oneof(fc.string({ maxLength: 70 }), json),
            extra: json,
          },
          { requiredKeys: [] },
        ),
      },
      { weight: 1, arbitrary: json },
      { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
    );
    const verified = await property('POST /assignments', body, { stableOnSuccess: true });
    expect(verified).toBeGreaterThan(300);
    for (const c of ['C1', 'C2']) expect((await assignmentsOf(c)).filter((a) => a.readNo === 1)).toHaveLength(2);
  });

  it('POST /exports: never a 5xx; a refused body writes nothing; an accepted one adds only its job and audit event', async () => {
    await seedReadCase(h, 'X1', [
      { readerId: 'x1', answers: grade() },
      { readerId: 'x2', answers: grade({ OD: { icdrLevel: 'pdr' } }) },
    ]);
    // Undo what the accepted exports of a run added (each its queued job and audit event, nothing
    // else), so the table can be compared with one snapshot after every run: one Scan finds them
    // all, and what is left of it once they are deleted must be the snapshot.
    const undo = async (exportIds: string[]): Promise<Record<string, unknown>[]> => {
      const items = await h.snapshotTable();
      const ids = new Set(exportIds);
      const idOf = (i: Record<string, unknown>) => {
        const pk = String(i.pk);
        return pk.startsWith('EXPORT#') ? pk.slice('EXPORT#'.length) : pk.startsWith('AUDIT#') ? (i.detail as { exportId?: string })?.exportId : undefined;
      };
      const mine = items.filter((i) => ids.has(idOf(i) ?? ''));
      for (const exportId of exportIds) {
        const its = mine.filter((i) => idOf(i) === exportId);
        expect({ exportId, items: its.map((i) => String(i.pk).split('#')[0]).sort() }).toEqual({ exportId, items: ['AUDIT', 'EXPORT'] });
      }
      await h.writeBatch(mine.map((it) => ({ DeleteRequest: { Key: { pk: it.pk, sk: it.sk } } })));
      return items.filter((i) => !mine.includes(i));
    };
    const snapshot = await undo([(await call('POST /exports', { body: {} })).json.exportId]);
    expect(await h.snapshotTable()).toEqual(snapshot);
    const body = fc.oneof(
      // About one body in twenty is valid (an export is the costly path).
      { weight: 1, arbitrary: fc.constantFrom({}, { formats: ['csv'] }, { formats: ['json', 'csv'] }) },
      { weight: 3, arbitrary: fc.record({ formats: fc.array(fc.constantFrom('csv', 'json', 'xml', '', 'CSV'), { maxLength: 3 }) }) },
      { weight: 12, arbitrary: fc.record({ formats: fc.oneof(fc.array(fc.constantFrom('csv', 'json', 'xml'), { maxLength: 3 }), json), extra: json }, { requiredKeys: ['extra'] }) },
      { weight: 4, arbitrary: json },
      { weight: 2, arbitrary: fc.string({ maxLength: 40 }) },
    );
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(body, { minLength: 10, maxLength: 10 }), async (batch) => {
        const from = h.faults.count();
        const results = await Promise.all(batch.map((b) => call('POST /exports', { body: typeof b === 'string' ? b : JSON.stringify(b) })));
        for (const r of results) expect(r.status).toBeLessThan(500);
        refused += results.filter((r) => r.status >= 400).length;
        const accepted = results.filter((r) => r.status === 202).map((r) => r.json.exportId as string);
        // All refused: the proxy's record shows that nothing was written (no Scan needed).
        if (accepted.length === 0) expect(h.faults.changes(from)).toEqual([]);
        else expect(await undo(accepted)).toEqual(snapshot);
      }),
      { numRuns: 100 },
    );
    expect(refused).toBeGreaterThan(800);
  });
});
