import fc from 'fast-check';
import {
  inSample,
  pickRepeats,
  planAssignments,
  type Assignment,
  type CaseToAssign,
  type PlanInput,
  type ReaderLoad,
  type SubmittedRead,
} from '../../../domain/assignment/plan';

const reader = (readerId: string, extra: Partial<ReaderLoad> = {}): ReaderLoad => ({ readerId, openCount: 0, totalCount: 0, active: true, ...extra });
const cases = (n: number, extra: Partial<CaseToAssign> = {}): CaseToAssign[] => Array.from({ length: n }, (_, i) => ({ caseId: `c${i}`, ...extra }));
const plan = (input: Partial<PlanInput>) => planAssignments({ cases: [], readers: [], readsPerCase: 2, maxOpenPerReader: 10, existing: [], seed: 1, ...input });
const readersOf = (assignments: Assignment[], caseId: string) => assignments.filter((a) => a.caseId === caseId).map((a) => a.readerId);

describe('planAssignments', () => {
  it('gives each case k distinct readers, least loaded first', () => {
    const result = plan({ cases: cases(1), readers: [reader('busy', { openCount: 5 }), reader('idle'), reader('new', { openCount: 0, totalCount: 0 }), reader('old', { totalCount: 90 })] });
    expect(readersOf(result.assignments, 'c0').sort()).toEqual(['idle', 'new']);
    expect(result.unfilled).toEqual([]);
  });

  it('counts existing assignments toward k and never repeats a reader', () => {
    const result = plan({ cases: cases(2), readers: [reader('a'), reader('b'), reader('c')], existing: [{ caseId: 'c0', readerId: 'a' }, { caseId: 'c1', readerId: 'a' }, { caseId: 'c1', readerId: 'b' }] });
    expect(result.assignments).toHaveLength(1);
    expect(result.assignments[0].caseId).toBe('c0');
    expect(result.assignments[0].readerId).not.toBe('a');
  });

  it('excludes readers from the case’s own site and listed conflicts', () => {
    const result = plan({
      cases: [{ caseId: 'c0', site: 'seoul', excludedReaders: ['x'] }],
      readers: [reader('local', { site: 'seoul' }), reader('x', { site: 'busan' }), reader('far', { site: 'busan' }), reader('anywhere')],
    });
    expect(readersOf(result.assignments, 'c0').sort()).toEqual(['anywhere', 'far']);
    expect(plan({ cases: [{ caseId: 'c0', site: 'seoul' }], readers: [reader('local', { site: 'seoul' })], readsPerCase: 1, allowSameSite: true }).assignments).toHaveLength(1);
  });

  it('reports what it could not fill, and why', () => {
    expect(plan({ cases: cases(1), readers: [reader('a'), reader('b', { active: false })] }).unfilled).toEqual([{ caseId: 'c0', missing: 1, reason: 'no_eligible_reader' }]);
    expect(plan({ cases: cases(3), readers: [reader('a'), reader('b')], maxOpenPerReader: 2 }).unfilled).toEqual([{ caseId: 'c2', missing: 2, reason: 'capacity' }]);
  });

  it('ignores repeated case ids', () => {
    expect(plan({ cases: [{ caseId: 'c0' }, { caseId: 'c0' }], readers: [reader('a'), reader('b'), reader('c'), reader('d')] }).assignments).toHaveLength(2);
  });

  it("plans the seed's scale, 6,000 cases for 100 readers, in full (its speed: npm run bench plan)", () => {
    const result = plan({ cases: cases(6000), readers: Array.from({ length: 100 }, (_, i) => reader(`r${i}`)), maxOpenPerReader: 1000 });
    expect(result.assignments).toHaveLength(12_000);
    expect(result.unfilled).toEqual([]);
    expect(new Set(result.assignments.map((a) => `${a.caseId}/${a.readerId}`)).size).toBe(12_000);
  });
});

// ---------------------------------------------------------------------------------------------

const SITES = ['a', 'b', 'c'];
const inputArb: fc.Arbitrary<PlanInput> = fc
  .record({
    readers: fc.uniqueArray(
      fc.record({
        readerId: fc.constantFrom(...Array.from({ length: 15 }, (_, i) => `r${i}`)),
        site: fc.option(fc.constantFrom(...SITES), { nil: undefined }),
        openCount: fc.nat(12),
        totalCount: fc.nat(50),
        active: fc.boolean(),
      }),
      { selector: (r) => r.readerId, maxLength: 15 },
    ),
    caseCount: fc.nat(40),
    caseSites: fc.array(fc.option(fc.constantFrom(...SITES), { nil: undefined }), { minLength: 40, maxLength: 40 }),
    excluded: fc.array(fc.subarray(Array.from({ length: 15 }, (_, i) => `r${i}`), { maxLength: 3 }), { minLength: 40, maxLength: 40 }),
    existing: fc.array(fc.record({ caseId: fc.constantFrom(...Array.from({ length: 40 }, (_, i) => `c${i}`)), readerId: fc.constantFrom(...Array.from({ length: 15 }, (_, i) => `r${i}`)) }), { maxLength: 30 }),
    readsPerCase: fc.integer({ min: 1, max: 5 }),
    maxOpenPerReader: fc.integer({ min: 1, max: 12 }),
    seed: fc.integer(),
  })
  .map(({ caseCount, caseSites, excluded, existing, ...rest }) => ({
    ...rest,
    cases: Array.from({ length: caseCount }, (_, i) => ({ caseId: `c${i}`, site: caseSites[i], excludedReaders: excluded[i] })),
    // Existing assignments never repeat a reader on a case.
    existing: existing.filter((e, i) => existing.findIndex((x) => x.caseId === e.caseId && x.readerId === e.readerId) === i),
  }));

describe('planAssignments invariants (fast-check)', () => {
  it('never exceeds k, never repeats a reader, respects caps, activity and exclusions, accounts for every gap', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const { assignments, unfilled } = planAssignments(input);
        const byId = new Map(input.readers.map((r) => [r.readerId, r]));
        const violations: string[] = [];
        for (const c of input.cases) {
          const before = input.existing.filter((e) => e.caseId === c.caseId).map((e) => e.readerId);
          const added = readersOf(assignments, c.caseId);
          const all = [...before, ...added];
          if (new Set(all).size !== all.length) violations.push(`${c.caseId}: duplicate reader`);
          if (added.length > 0 && all.length > input.readsPerCase) violations.push(`${c.caseId}: over k`);
          for (const id of added) {
            const r = byId.get(id)!;
            if (!r.active) violations.push(`${c.caseId}: inactive ${id}`);
            if (c.excludedReaders?.includes(id)) violations.push(`${c.caseId}: excluded ${id}`);
            if (r.site !== undefined && r.site === c.site) violations.push(`${c.caseId}: same site ${id}`);
          }
          const gap = Math.max(0, input.readsPerCase - all.length);
          const reported = unfilled.find((u) => u.caseId === c.caseId)?.missing ?? 0;
          if (gap !== reported) violations.push(`${c.caseId}: gap ${gap} reported ${reported}`);
        }
        for (const r of input.readers) {
          const added = assignments.filter((a) => a.readerId === r.readerId).length;
          if (added > 0 && r.openCount + added > input.maxOpenPerReader) violations.push(`${r.readerId}: over cap`);
        }
        expect(violations).toEqual([]);
      }),
      { numRuns: 1000 },
    );
  });

  it('fills a case whenever an eligible reader has room (no gap left for "capacity" while someone is free)', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const { assignments, unfilled } = planAssignments(input);
        const open = new Map(input.readers.map((r) => [r.readerId, r.openCount + assignments.filter((a) => a.readerId === r.readerId).length]));
        for (const u of unfilled) {
          const c = input.cases.find((x) => x.caseId === u.caseId)!;
          const on = new Set([...input.existing.filter((e) => e.caseId === c.caseId).map((e) => e.readerId), ...readersOf(assignments, c.caseId)]);
          const free = input.readers.filter(
            (r) => r.active && !on.has(r.readerId) && !c.excludedReaders?.includes(r.readerId) && !(r.site !== undefined && r.site === c.site) && open.get(r.readerId)! < input.maxOpenPerReader,
          );
          expect(free.map((r) => r.readerId)).toEqual([]);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('is deterministic for a seed', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        expect(planAssignments(input)).toEqual(planAssignments(structuredClone(input)));
      }),
      { numRuns: 200 },
    );
  });

  it('is balanced when unconstrained: max − min load ≤ 1', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 0, max: 25 }), fc.nat(300), fc.integer(), (k, extra, caseCount, seed) => {
        const readers = Array.from({ length: k + extra }, (_, i) => reader(`r${i}`));
        const { assignments, unfilled } = planAssignments({ cases: cases(caseCount), readers, readsPerCase: k, maxOpenPerReader: 1e9, existing: [], seed });
        const load = readers.map((r) => assignments.filter((a) => a.readerId === r.readerId).length);
        expect(unfilled).toEqual([]);
        expect(Math.max(...load) - Math.min(...load)).toBeLessThanOrEqual(1);
      }),
      { numRuns: 300 },
    );
  });
});

// ---------------------------------------------------------------------------------------------

describe('pickRepeats', () => {
  const NOW = '2026-06-30T00:00:00Z';
  const daysAgo = (d: number) => new Date(Date.parse(NOW) - d * 86_400_000).toISOString();
  const reads = (readerId: string, n: number, age: number): SubmittedRead[] => Array.from({ length: n }, (_, i) => ({ caseId: `${readerId}-c${i}`, readerId, submittedAt: daysAgo(age) }));
  const pick = (submitted: SubmittedRead[], alreadyRepeated: Assignment[] = [], seed: number | string = 'study-1') =>
    pickRepeats({ submitted, share: 0.05, minDays: 14, now: NOW, seed, alreadyRepeated });

  it('re-issues 5 % of each reader’s reads that are at least 14 days old', () => {
    const picks = pick([...reads('r1', 40, 20), ...reads('r2', 100, 14), ...reads('r3', 100, 13)]);
    expect(picks.filter((p) => p.readerId === 'r1')).toHaveLength(2);
    expect(picks.filter((p) => p.readerId === 'r2')).toHaveLength(5); // exactly 14 days counts
    expect(picks.filter((p) => p.readerId === 'r3')).toHaveLength(0); // too recent
    for (const p of picks) expect(p.caseId.startsWith(p.readerId)).toBe(true);
  });

  it('counts repeats already issued and never repeats a pair twice', () => {
    const submitted = reads('r1', 40, 30);
    const first = pick(submitted);
    expect(first).toHaveLength(2);
    expect(pick(submitted, first)).toEqual([]);
    const more = pick([...submitted, ...reads('r1', 60, 30).map((r) => ({ ...r, caseId: `more-${r.caseId}` }))], first);
    expect(more).toHaveLength(3);
    expect(more.some((m) => first.some((f) => f.caseId === m.caseId))).toBe(false);
  });

  it('is deterministic and stable, and the seed changes the sample', () => {
    const submitted = reads('r1', 400, 30);
    expect(pick(submitted)).toEqual(pick([...submitted].reverse()));
    expect(pick(submitted, [], 'other-seed')).not.toEqual(pick(submitted));
  });

  it('spreads the repeats over a sequential id range instead of clustering them in batches', () => {
    // 20 readers × 2,000 ids KN-000001…: each tenth of the range should hold 200 of the 2,000
    // picks, within a binomial ±4σ band. Raw FNV-1a order put 389 in one tenth and 47 in another.
    const submitted = Array.from({ length: 20 }, (_, r) =>
      Array.from({ length: 2000 }, (_, i) => ({ caseId: `KN-${String(i + 1).padStart(6, '0')}`, readerId: `reader-${r + 1}`, submittedAt: daysAgo(30) })),
    ).flat();
    const picks = pick(submitted);
    expect(picks).toHaveLength(2000);
    const tenths = new Array<number>(10).fill(0);
    for (const p of picks) tenths[Math.floor((Number(p.caseId.slice(3)) - 1) / 200)]++;
    for (const count of tenths) expect(Math.abs(count - 200)).toBeLessThanOrEqual(4 * Math.sqrt(2000 * 0.1 * 0.9));
  });

  it('ignores unparseable dates and rounds the quota down', () => {
    expect(pick([...reads('r1', 19, 30), { caseId: 'x', readerId: 'r1', submittedAt: 'not a date' }])).toEqual([]);
  });
});

describe('inSample', () => {
  // Sequential ids are what studies use (C1…, KN-000001…); the realised share over 10,000 of them
  // must sit inside a binomial ±4σ band. Plain FNV-1a failed this at −5.7σ (KN-…, share 0.1).
  const formats: Array<[string, (i: number) => string]> = [
    ['C<n>', (i) => `qa:C${i}`],
    ['KN-<6 digits>', (i) => `qa:KN-${String(i).padStart(6, '0')}`],
    ['uuid-like', (i) => `qa:${i.toString(16).padStart(8, '0')}-0000-4000-8000-000000000000`],
  ];
  test.each(formats.flatMap(([name, id]) => [0.01, 0.05, 0.1, 0.5].map((share) => [name, share, id] as const)))(
    '%s ids, share %d: realised share within 4 sigma',
    (_name, share, id) => {
      const n = 10_000;
      let hits = 0;
      for (let i = 1; i <= n; i++) if (inSample(id(i), share)) hits++;
      expect(Math.abs(hits - n * share)).toBeLessThanOrEqual(4 * Math.sqrt(n * share * (1 - share)));
    },
  );

  test('the draw is stable per key and monotone in the share', () => {
    for (let i = 0; i < 500; i++) {
      const key = `qa:C${i}`;
      expect(inSample(key, 0.2)).toBe(inSample(key, 0.2));
      if (inSample(key, 0.1)) expect(inSample(key, 0.2)).toBe(true);
    }
    expect(inSample('qa:C1', 0)).toBe(false);
    expect(inSample('qa:C1', 1)).toBe(true);
  });
});
