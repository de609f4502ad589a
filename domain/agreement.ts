/**
 * Agreement statistics for pairs of grades (two readers, a reader and the final grade, a reader
 * and their own hidden repeat). Pure; values are option codes as returned by `codeOf`.
 *
 * Categories come from the form, not from the data: a category nobody used still counts for PABAK
 * and for the weighted-kappa distances. Undefined statistics are null with a reason, never NaN.
 */
import { optionEntries, type Eye, type Form, type Question } from './form/schema';
import { codeOf, compileForm, snapToStep } from './form/validator';
import { type NormalisedAnswers } from './answers';

export type Pair = readonly [number, number];
export type Weighting = 'linear' | 'quadratic';

export interface KappaResult {
  /** null when undefined for these data (see `reason`). */
  value: number | null;
  /** Observed (weighted) agreement. */
  po: number | null;
  /** Chance-expected (weighted) agreement from the two marginals. */
  pe: number | null;
  reason?: string;
}

/** A rating scale: codes in scale order; `ordinal` when distances between positions matter. */
export interface Scale {
  categories: readonly number[];
  ordinal: boolean;
}

export interface Table {
  /** counts[i][j]: first rating in category i, second in category j. */
  counts: number[][];
  n: number;
}

const sum = (xs: readonly number[]) => xs.reduce((s, x) => s + x, 0);

/** Cross-tabulates pairs on the scale; pairs with a value off the scale are counted in `dropped`. */
export function crossTable(pairs: readonly Pair[], categories: readonly number[]): Table & { dropped: number } {
  const index = new Map(categories.map((c, i) => [c, i]));
  const counts = categories.map(() => categories.map(() => 0));
  let dropped = 0;
  for (const [a, b] of pairs) {
    const i = index.get(a);
    const j = index.get(b);
    if (i === undefined || j === undefined) dropped++;
    else counts[i][j]++;
  }
  return { counts, n: pairs.length - dropped, dropped };
}

/** Share of pairs whose positions differ by at most `steps` (0: exact agreement). */
export function agreementWithin(table: Table, steps: number): number | null {
  if (table.n === 0) return null;
  const close = table.counts.flatMap((row, i) => row.filter((_, j) => Math.abs(i - j) <= steps));
  return sum(close) / table.n;
}

export const percentExact = (table: Table) => agreementWithin(table, 0);
export const withinOneStep = (table: Table) => agreementWithin(table, 1);

/** Disagreement weights v[i][j] for k ordered categories (Cohen 1968); nominal is 0 on the diagonal, 1 elsewhere. */
export function disagreementWeights(k: number, weighting: Weighting | 'nominal'): number[][] {
  const d = (i: number, j: number) => Math.abs(i - j) / Math.max(1, k - 1);
  const v = { nominal: (i: number, j: number) => (i === j ? 0 : 1), linear: d, quadratic: (i: number, j: number) => d(i, j) ** 2 }[weighting];
  return Array.from({ length: k }, (_, i) => Array.from({ length: k }, (_, j) => v(i, j)));
}

const undefinedKappa = (reason: string, po: number | null = null, pe: number | null = null): KappaResult => ({ value: null, po, pe, reason });

/**
 * Cohen's (weighted) kappa from a table and disagreement weights:
 *   κw = (po − pe) / (1 − pe), with agreement weights w = 1 − v / max(v),
 *   po = Σ w·p_ij, pe = Σ w·p_i.·p_.j  (equivalently 1 − Σ v·p_ij / Σ v·p_i.·p_.j, Cohen 1968).
 */
export function kappaFromTable(table: Table, weights: readonly (readonly number[])[]): KappaResult {
  const k = table.counts.length;
  if (k < 2) return undefinedKappa('fewer than two categories');
  if (table.n === 0) return undefinedKappa('no pairs');
  const vmax = Math.max(...weights.flat());
  if (!(vmax > 0)) return undefinedKappa('all disagreement weights are zero');
  const p = table.counts.map((row) => row.map((c) => c / table.n));
  const rows = p.map(sum);
  const cols = p[0].map((_, j) => sum(p.map((row) => row[j])));
  let po = 0;
  let pe = 0;
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      const w = 1 - weights[i][j] / vmax;
      po += w * p[i][j];
      pe += w * rows[i] * cols[j];
    }
  }
  if (Math.abs(1 - pe) < 1e-12) return undefinedKappa('chance agreement is 1 (both ratings always in one category): kappa is undefined', po, pe);
  return { value: (po - pe) / (1 - pe), po, pe };
}

export const cohenKappa = (table: Table) => kappaFromTable(table, disagreementWeights(table.counts.length, 'nominal'));
export const weightedKappa = (table: Table, weighting: Weighting) => kappaFromTable(table, disagreementWeights(table.counts.length, weighting));

/** Prevalence- and bias-adjusted kappa (Byrt, Bishop & Carlin 1993), k categories: (k·po − 1)/(k − 1). */
export function pabak(table: Table): number | null {
  const k = table.counts.length;
  const po = percentExact(table);
  return po === null || k < 2 ? null : (k * po - 1) / (k - 1);
}

export interface AgreementStats {
  n: number;
  percentExact: number | null;
  /** Ordinal scales only. */
  withinOneStep: number | null;
  kappa: KappaResult;
  /** Ordinal scales only. */
  linearWeightedKappa: KappaResult | null;
  quadraticWeightedKappa: KappaResult | null;
  pabak: number | null;
}

export function agreementStats(pairs: readonly Pair[], scale: Scale): AgreementStats {
  return statsFromTable(crossTable(pairs, scale.categories), scale);
}

/** The same statistics from an already accumulated table (the export counts case by case). */
export function statsFromTable(table: Table, scale: Scale): AgreementStats {
  return {
    n: table.n,
    percentExact: percentExact(table),
    withinOneStep: scale.ordinal ? withinOneStep(table) : null,
    kappa: cohenKappa(table),
    linearWeightedKappa: scale.ordinal ? weightedKappa(table, 'linear') : null,
    quadraticWeightedKappa: scale.ordinal ? weightedKappa(table, 'quadratic') : null,
    pabak: pabak(table),
  };
}

const MAX_GRID = 201;

/** The question's scale, or a reason why agreement is not computed for it. */
export function scaleOf(question: Question): Scale | { reason: string } {
  switch (question.type) {
    case 'single':
    case 'ordinal':
      return { categories: optionEntries(question).map((o, i) => o.code ?? i), ordinal: question.type === 'ordinal' };
    case 'bool':
      return { categories: [0, 1], ordinal: false };
    case 'number': {
      const { min, max, step } = question;
      const size = step === undefined ? Infinity : Math.floor((max - min) / step + 1e-9) + 1;
      if (size > MAX_GRID) return { reason: `continuous or finer than ${MAX_GRID} steps; use an ICC instead` };
      return { categories: Array.from({ length: size }, (_, i) => snapToStep(min + i * step!, min, step!)!), ordinal: true };
    }
    default:
      return { reason: `${question.type} answers have no single category` };
  }
}

// ---------------------------------------------------------------------------------------------
// Summaries over many cases.

/** One compared pair of codes; null where a side is absent (ungradable eye, hidden, 'unable'). */
export interface AgreementRow {
  caseId: string;
  eye?: Eye;
  question: string;
  a: number | null;
  b: number | null;
}

export interface GroupAgreement {
  question: string;
  /** 'all' pools both eyes (eye-level analysis) or is the participant-level question. */
  eye: Eye | 'all';
  /** Pairs with a missing or off-scale value, left out of every statistic. */
  skipped: number;
  stats: AgreementStats | null;
  reason?: string;
}

interface GroupKey {
  question: string;
  eye: Eye | 'all';
  readerId?: string;
}
interface Grouped extends GroupKey {
  pairs: (readonly [number | null, number | null])[];
}

function statsFor(form: Form, group: Grouped): GroupAgreement {
  const q = compileForm(form).byKey.get(group.question)?.question;
  const base = { question: group.question, eye: group.eye };
  const scale = q ? scaleOf(q) : { reason: 'not a question of this form' };
  if ('reason' in scale) return { ...base, skipped: group.pairs.length, stats: null, reason: scale.reason };
  const complete = group.pairs.filter((p): p is Pair => p[0] !== null && p[1] !== null);
  const stats = agreementStats(complete, scale);
  return { ...base, skipped: group.pairs.length - stats.n, stats };
}

function groupBy<R>(rows: readonly R[], keyOf: (r: R) => GroupKey, pairOf: (r: R) => readonly [number | null, number | null]): Grouped[] {
  const groups = new Map<string, Grouped>();
  for (const row of rows) {
    const group = keyOf(row);
    const key = [group.readerId, group.question, group.eye].join('\u0000');
    if (!groups.has(key)) groups.set(key, { ...group, pairs: [] });
    groups.get(key)!.pairs.push(pairOf(row));
  }
  return [...groups.values()];
}

/** Per question: pooled over eyes ('all') and per eye, in the form's question order. */
export function summariseAgreement(form: Form, rows: readonly AgreementRow[]): GroupAgreement[] {
  const pair = (r: AgreementRow) => [r.a, r.b] as const;
  const pooled = groupBy(rows, (r) => ({ question: r.question, eye: 'all' }), pair);
  const perEye = groupBy(rows.filter((r) => r.eye), (r) => ({ question: r.question, eye: r.eye! }), pair);
  const order = [...compileForm(form).byKey.keys()];
  const position = (g: Grouped) => order.indexOf(g.question) * 3 + (g.eye === 'all' ? 0 : g.eye === 'OD' ? 1 : 2);
  return [...pooled, ...perEye].sort((x, y) => position(x) - position(y)).map((g) => statsFor(form, g));
}

/** Rows comparing two reads of one case, for every question and eye either read answered or could have. */
export function agreementRows(form: Form, caseId: string, readA: NormalisedAnswers, readB: NormalisedAnswers): AgreementRow[] {
  const cf = compileForm(form);
  const eyes = form.eyes.filter((e) => readA.eyes[e] || readB.eyes[e]);
  const row = (question: Question, a: unknown, b: unknown, eye?: Eye): AgreementRow => ({
    caseId,
    ...(eye ? { eye } : {}),
    question: question.key,
    a: codeOf(question, a),
    b: codeOf(question, b),
  });
  return [
    ...cf.eye.flatMap(({ question }) => eyes.map((eye) => row(question, readA.eyes[eye]?.[question.key], readB.eyes[eye]?.[question.key], eye))),
    ...cf.participant.map(({ question }) => row(question, readA.participant[question.key], readB.participant[question.key])),
  ].filter((r) => r.a !== null || r.b !== null);
}

export interface ReaderAgreement extends GroupAgreement {
  readerId: string;
}

/** A reader's grade against a reference: the final grade, or the reader's own earlier read. */
export interface ReaderRow {
  readerId: string;
  question: string;
  eye?: Eye;
  value: number | null;
  reference: number | null;
}

/**
 * Per reader and question, pooled over eyes. With the final grade as reference this is the
 * NHS-DESP-style agreement-with-final table; with the original read of a hidden repeat as
 * reference it is intra-reader agreement.
 */
export function perReaderAgreement(form: Form, rows: readonly ReaderRow[]): ReaderAgreement[] {
  const groups = groupBy(rows, (r) => ({ readerId: r.readerId, question: r.question, eye: 'all' }), (r) => [r.value, r.reference] as const);
  return groups.map((g) => ({ readerId: g.readerId!, ...statsFor(form, g) }));
}

/** Intra-reader agreement from hidden repeats: `value` is the repeat, `reference` the original read. */
export const intraReaderAgreement = perReaderAgreement;
