/**
 * Who reads what: a balanced assignment planner (k independent readers per case, workload caps,
 * conflict-of-interest exclusions) and the choice of hidden repeat reads for intra-reader
 * agreement. Pure and deterministic for a given seed.
 */

export interface CaseToAssign {
  caseId: string;
  /** Site (hospital or region) the participant was examined at. */
  site?: string;
  /** Readers who must not read this case (e.g. declared conflicts of interest). */
  excludedReaders?: readonly string[];
}

export interface ReaderLoad {
  readerId: string;
  site?: string;
  /** Assigned but not yet submitted. */
  openCount: number;
  /** Everything ever assigned in this study. */
  totalCount: number;
  active: boolean;
}

export interface Assignment {
  caseId: string;
  readerId: string;
}

export interface PlanInput {
  cases: readonly CaseToAssign[];
  readers: readonly ReaderLoad[];
  readsPerCase: number;
  maxOpenPerReader: number;
  /** Assignments that already exist for these cases (open or submitted); they count toward k. */
  existing: readonly Assignment[];
  /** Reading one's own site's participants is a conflict of interest unless this is true. */
  allowSameSite?: boolean;
  seed: number | string;
}

export interface Unfilled {
  caseId: string;
  missing: number;
  /** capacity: eligible readers exist but are at the open-item cap; no_eligible_reader: none at all. */
  reason: 'capacity' | 'no_eligible_reader';
}

export interface Plan {
  assignments: Assignment[];
  unfilled: Unfilled[];
}

// ---------------------------------------------------------------------------------------------
// Deterministic randomness.

/**
 * FNV-1a, 32-bit: a stable hash of a string. Its high bits are poorly mixed for keys that differ
 * only at the end (sequential ids), so finalise it with `mix32` before using it as a uniform draw.
 */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** Mulberry32: a small seeded PRNG returning floats in [0, 1). */
export function seededRandom(seed: number | string): () => number {
  let state = typeof seed === 'number' ? seed >>> 0 : hash32(seed);
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** MurmurHash3's 32-bit finaliser: every input bit moves every output bit. */
function mix32(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * Stable draw: true for about `share` of all keys, always the same answer for one key. FNV-1a
 * alone leaves its high bits poorly mixed for keys that differ only in their last characters
 * (sequential case ids drew 8.3 % instead of 10 %, −5.7 σ), so the hash is finalised first.
 */
export function inSample(key: string, share: number): boolean {
  return mix32(hash32(key)) / 2 ** 32 < share;
}

// ---------------------------------------------------------------------------------------------
// Balanced assignment.

interface Slot {
  readonly reader: ReaderLoad;
  open: number;
  total: number;
  /** Random tie-break, fixed per plan so that equal loads do not always favour the same reader. */
  readonly tie: number;
}

// Least open work first (keeps queues short and lets fast readers take more), then least total.
const lighter = (a: Slot, b: Slot) => a.open - b.open || a.total - b.total || a.tie - b.tie;

function isExcluded(slot: Slot, c: CaseToAssign, allowSameSite: boolean): boolean {
  const { readerId, site } = slot.reader;
  return (c.excludedReaders?.includes(readerId) ?? false) || (!allowSameSite && site !== undefined && site === c.site);
}

function groupReaders(existing: readonly Assignment[]): Map<string, Set<string>> {
  const byCase = new Map<string, Set<string>>();
  for (const { caseId, readerId } of existing) {
    if (!byCase.has(caseId)) byCase.set(caseId, new Set());
    byCase.get(caseId)!.add(readerId);
  }
  return byCase;
}

/**
 * Fills each case up to `readsPerCase` distinct readers, in the order the cases are given (pass
 * the oldest first), always choosing the least-loaded eligible reader. Eligible: active, not
 * already on the case, not excluded, below `maxOpenPerReader` open items.
 */
export function planAssignments(input: PlanInput): Plan {
  const random = seededRandom(input.seed);
  const slots: Slot[] = input.readers
    .filter((r) => r.active)
    .map((reader) => ({ reader, open: reader.openCount, total: reader.totalCount, tie: random() }));
  const onCase = groupReaders(input.existing);
  const assignments: Assignment[] = [];
  const unfilled: Unfilled[] = [];
  const seen = new Set<string>();

  for (const c of input.cases) {
    if (seen.has(c.caseId)) continue;
    seen.add(c.caseId);
    const readers = onCase.get(c.caseId) ?? new Set<string>();
    const candidates = slots.filter((s) => !readers.has(s.reader.readerId) && !isExcluded(s, c, input.allowSameSite ?? false));
    let missing = input.readsPerCase - readers.size;
    while (missing > 0) {
      const best = candidates.reduce<Slot | undefined>(
        (min, s) => (s.open < input.maxOpenPerReader && !readers.has(s.reader.readerId) && (!min || lighter(s, min) < 0) ? s : min),
        undefined,
      );
      if (!best) break;
      best.open++;
      best.total++;
      readers.add(best.reader.readerId);
      assignments.push({ caseId: c.caseId, readerId: best.reader.readerId });
      missing--;
    }
    if (missing > 0) {
      const atCap = candidates.some((s) => !readers.has(s.reader.readerId));
      unfilled.push({ caseId: c.caseId, missing, reason: atCap ? 'capacity' : 'no_eligible_reader' });
    }
  }
  return { assignments, unfilled };
}

// ---------------------------------------------------------------------------------------------
// Hidden repeat reads.

export interface SubmittedRead {
  caseId: string;
  readerId: string;
  /** ISO 8601. */
  submittedAt: string;
}

export interface RepeatInput {
  /** Original (non-repeat) submitted reads. */
  submitted: readonly SubmittedRead[];
  /** Share of each reader's old-enough reads to repeat (reading.md: 5 %). */
  share: number;
  /** Minimum days between the original read and its repeat (reading.md: 14). */
  minDays: number;
  /** ISO 8601. */
  now: string;
  seed: number | string;
  /** Repeats already issued (whatever their state). */
  alreadyRepeated: readonly Assignment[];
}

const DAY_MS = 86_400_000;
const pairKey = (a: Assignment) => `${a.readerId}\u0000${a.caseId}`;

/**
 * Which (case, reader) pairs to re-issue now as hidden repeats: per reader, `share` of the reads
 * submitted at least `minDays` ago, minus the repeats that reader already has. The sample is a
 * seeded hash order, so a pair not issued today is the same one proposed tomorrow.
 */
export function pickRepeats(input: RepeatInput): Assignment[] {
  const cutoff = Date.parse(input.now) - input.minDays * DAY_MS;
  const repeated = new Set(input.alreadyRepeated.map(pairKey));
  const repeatsPerReader = new Map<string, number>();
  for (const r of input.alreadyRepeated) repeatsPerReader.set(r.readerId, (repeatsPerReader.get(r.readerId) ?? 0) + 1);

  const oldEnough = new Map<string, Map<string, SubmittedRead>>();
  for (const s of input.submitted) {
    if (!(Date.parse(s.submittedAt) <= cutoff)) continue; // also drops unparseable dates
    if (!oldEnough.has(s.readerId)) oldEnough.set(s.readerId, new Map());
    oldEnough.get(s.readerId)!.set(s.caseId, s);
  }

  const picks: Assignment[] = [];
  for (const [readerId, reads] of [...oldEnough].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const quota = Math.floor(input.share * reads.size + 1e-9) - (repeatsPerReader.get(readerId) ?? 0);
    if (quota <= 0) continue;
    // Finalised like inSample: raw FNV-1a order put 389 of 2,000 picks in one tenth of a
    // sequential id range and 47 in another, so repeats clustered in batches of cases.
    const order = (a: Assignment) => mix32(hash32(`${input.seed}\u0000${pairKey(a)}`));
    const candidates = [...reads.values()].map(({ caseId }) => ({ caseId, readerId })).filter((a) => !repeated.has(pairKey(a)));
    picks.push(...candidates.sort((a, b) => order(a) - order(b) || (a.caseId < b.caseId ? -1 : 1)).slice(0, quota));
  }
  return picks;
}
