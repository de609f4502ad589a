/**
 * Property tests of the reader API's write routes against moto: for 1,000 generated requests each
 * (bodies, headers and path values from valid to hostile), the answer is 2xx or 4xx, never 5xx,
 * and a 4xx leaves the table exactly as it was.
 *
 * "Unchanged" is checked after EVERY 4xx two ways: no write through the handlers' document client
 * succeeded (the harness counts successful Put/Update/Delete/TransactWrite/BatchWrite calls; a write
 * refused by its condition changes nothing), and the serial proxy, which every AWS call goes
 * through, accepted no state-changing call (`faults.changes`: any service, also a write a later one
 * undid). That record replaces the table snapshots (two Scans) every 50th run took: it is as exact,
 * holds for every run instead of one in 50, and costs no emulator call (the Scans of a growing
 * table were a fifth of the file's emulator time).
 */
import fc from 'fast-check';
import { handler } from '../../../lambda/reader-api/handler';
import { startHarness, type CallResult, type Harness, type TestUser } from '../../helpers/api-harness';
import { nestedJson } from '../../helpers/hostile-json';
import { assign, seedCase, validAnswers } from '../../helpers/reading-fixtures';

// READROOM_PROPERTY_RUNS lowers it for quick local iterations; the suite's contract is 1,000.
const RUNS = Number(process.env.READROOM_PROPERTY_RUNS ?? 1000);
let h: Harness;
let readers: TestUser[];

beforeAll(async () => {
  h = await startHarness();
  // The last one has no custom:site: "next" must refuse them (403) and write nothing.
  readers = [h.users.reader, h.users.reader2, ...(await h.createReaders(3, 'prop')), await h.createUser('prop-siteless', ['reader'], null)];
}, 60_000);
afterAll(() => h?.stop(), 60_000); // moto can take seconds to exit after a heavy suite

/** Calls once, asserting never-5xx and, on 4xx, that nothing was written. */
async function probe(call: () => Promise<CallResult>, label: string): Promise<CallResult> {
  const writesBefore = h.writes();
  const from = h.faults.count();
  const res = await call();
  if (res.status >= 500 || res.status < 200) throw new Error(`${label}: ${res.status} ${res.body}`);
  if (res.status >= 400) {
    expect(res.json?.error).toEqual(expect.objectContaining({ code: expect.any(String), message: expect.any(String) }));
    expect(h.writes() - writesBefore).toBe(0);
    expect(h.faults.changes(from)).toEqual([]);
  }
  return res;
}

// ---- generators ---------------------------------------------------------------------------------

const jsonText = fc.oneof(
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc.string({ maxLength: 40 }),
  fc.constantFrom('', '{}', '[]', 'null', '{"a":', '{"__proto__":{"x":1}}', '{"constructor":{"prototype":{}}}'),
);
/** A body as the client sends it: absent, a raw string, or an object. */
const anyBody = fc.oneof(fc.constant(undefined), jsonText, fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }));

const ICDR = ['none', 'mild_npdr', 'moderate_npdr', 'severe_npdr', 'pdr'];
const grade = fc.record({
  icdr: fc.constantFrom(...ICDR),
  dme: fc.constantFrom('absent', 'cannot_assess'),
  vcdr: fc.oneof(fc.constantFrom(0, 0.25, 0.5, 0.95, 'unable' as const), fc.double({ min: -1, max: 2, noNaN: true })),
  glaucoma: fc.constantFrom('no', 'suspect', 'probable', 'definite'),
  referral: fc.constantFrom('none', 'routine_12m', 'urgent'),
});
/** Answers: valid for the default form, valid with one value replaced by anything, or anything at all. */
const answers = fc.oneof(
  grade.map((g) => validAnswers(g)),
  fc.tuple(grade, fc.constantFrom('fundusQuality', 'icdrLevel', 'vcdr', 'dme', 'otherText', 'bogusKey'), fc.jsonValue({ maxDepth: 1 })).map(([g, key, value]) => {
    const a = validAnswers(g) as any;
    a.eyes.OD[key] = value;
    return a;
  }),
  grade.map((g) => ({ eyes: { OD: validAnswers(g).eyes.OD } })), // a partial draft
  fc.jsonValue({ maxDepth: 3 }),
);
const readBody = fc.oneof(
  { weight: 6, arbitrary: fc.record({ answers, submit: fc.oneof(fc.boolean(), fc.constant(undefined)) }, { requiredKeys: ['answers'] }) },
  { weight: 1, arbitrary: fc.record({ answers, submit: fc.jsonValue({ maxDepth: 1 }), extra: fc.jsonValue({ maxDepth: 1 }) }, { requiredKeys: [] }) },
  { weight: 1, arbitrary: anyBody },
  { weight: 1, arbitrary: nestedJson },
);
/** The `{caseId}` path value: mostly assignment refs (the caller's or another reader's), else case ids and junk. */
const pathValue = (refs: readonly string[]) =>
  fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...refs) },
    { weight: 1, arbitrary: fc.constantFrom('P1', 'P2', 'NOPE', '', '../x', 'P1/../P2', 'a'.repeat(80), 'zzzzzzzzzzzz') },
    { weight: 1, arbitrary: fc.string({ maxLength: 20 }) },
  );
const ifMatch = fc.oneof(fc.constant(undefined), fc.integer({ min: 0, max: 6 }).map((n) => `"${n}"`), fc.integer({ min: 0, max: 6 }).map(String), fc.string({ maxLength: 12 }));
const idemKey = fc.oneof(fc.constant(undefined), fc.integer({ min: 0, max: 30 }).map((n) => `key-${n}`), fc.string({ maxLength: 20 }));

// ---- properties ---------------------------------------------------------------------------------

test(`PUT /assignments/{ref}/read: ${RUNS} generated requests, never 5xx, 4xx writes nothing`, async () => {
  await h.clearTable();
  const refs: string[] = [];
  for (const id of ['P1', 'P2', 'P3']) {
    await seedCase(h, id, { oct: id === 'P2' });
    refs.push(await assign(h, id, readers[0]));
    refs.push(await assign(h, id, readers[1]));
  }
  const statuses = new Map<number, number>();
  await fc.assert(
    fc.asyncProperty(fc.nat({ max: 1 }), pathValue(refs), readBody, ifMatch, idemKey, async (who, id, body, match, key) => {
      const headers: Record<string, string> = {};
      if (match !== undefined) headers['If-Match'] = match;
      if (key !== undefined) headers['Idempotency-Key'] = key;
      const res = await probe(() => h.call(handler, { routeKey: 'PUT /assignments/{ref}/read', pathParameters: { ref: id }, token: readers[who].token, body, headers }), `PUT ${id}`);
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      if (res.status < 300) expect(res.headers.etag).toBe(`"${res.json.version}"`);
    }),
    { numRuns: RUNS },
  );
  // The generators must reach both sides of the property.
  expect([...statuses.keys()].some((s) => s < 300)).toBe(true);
  expect([...statuses.keys()].some((s) => s >= 400)).toBe(true);
}, 240_000);

test(`POST /assignments/{ref}/session: ${RUNS} generated requests, never 5xx, 4xx writes nothing`, async () => {
  await h.clearTable();
  await seedCase(h, 'P1');
  const ref = await assign(h, 'P1', readers[0]);
  await fc.assert(
    fc.asyncProperty(fc.nat({ max: 1 }), pathValue([ref]), anyBody, async (who, id, body) => {
      const res = await probe(() => h.call(handler, { routeKey: 'POST /assignments/{ref}/session', pathParameters: { ref: id }, token: readers[who].token, body }), `session ${id}`);
      if (res.status < 300) {
        expect(res.status).toBe(201);
        expect({ who, id }).toEqual({ who: 0, id: ref });
      }
    }),
    { numRuns: RUNS },
  );
}, 240_000);

test(`POST /queue/next: ${RUNS} generated requests by 6 readers (one without a site), never 5xx, 4xx writes nothing, no case past k`, async () => {
  await h.clearTable();
  for (let i = 0; i < 12; i++) await seedCase(h, `Q${i}`);
  const siteless = readers.length - 1;
  let sitelessRefused = 0;
  await fc.assert(
    fc.asyncProperty(fc.nat({ max: readers.length - 1 }), anyBody, async (who, body) => {
      const res = await probe(() => h.call(handler, { routeKey: 'POST /queue/next', token: readers[who].token, body }), 'next');
      if (who === siteless) expect(res.status).toBeGreaterThanOrEqual(400);
      if (who === siteless && res.json?.error?.code === 'site_missing') sitelessRefused++;
    }),
    { numRuns: RUNS },
  );
  expect(sitelessRefused).toBeGreaterThan(0);
  const cases = (await h.snapshotTable()).filter((i) => i.type === 'case');
  for (const c of cases) {
    expect(c.assignedCount).toBeLessThanOrEqual(h.readingConfig.assignment.readsPerCase);
    expect((c.readers as Set<string> | undefined)?.size ?? 0).toBe(c.assignedCount);
  }
}, 240_000);
