/**
 * Comparing the independent reads of a case: which configured discordance rules fire (and so open
 * an adjudication or review task), and the final answer of concordant reads.
 *
 * Reads are expected to have passed `validateAnswers` in submit mode against the same form and
 * case facts. Which answer is "more severe" is the question's `severity` (../form/schema.ts): `higher`
 * (later option, larger number, `true`), `lower`, or `none` (no severe end, e.g. confidence).
 *
 * The decisions where reading.md is silent are listed, each with its test, in the README section
 * "Rules D1–D6: decisions".
 */
import { conditionValue, type Eye, type Form } from '../form/schema';
import { type DiscordanceRule, type Priority } from './schema';
import { inSample } from '../assignment/plan';
import { caseEyes, codeOf, compileForm, factContext, walkScope, eyeContext, type CompiledQuestion } from '../form/validator';
import { type AnswerValue, type NormalisedAnswers, type ScopeAnswers } from '../answers';
import { type CaseFacts } from '../case';

export interface DiscordanceReason {
  /** The rule's id, e.g. 'D2'. */
  rule: string;
  question: string;
  eye?: Eye;
  detail: string;
}

export interface DiscordanceResult {
  discordant: boolean;
  reasons: DiscordanceReason[];
  /** 'safety' if any safety rule fired, else 'normal' if any normal rule fired, else 'low'. */
  priority: Priority;
}

type Value = AnswerValue | undefined;

/**
 * How the adjudicator sees the reads of a case: masked as A, B, C … (at most five: readsPerCase ≤ 5).
 * Reasons and notes name reads by these labels only.
 */
export const READ_LABELS = ['A', 'B', 'C', 'D', 'E'] as const;
export type ReadLabel = (typeof READ_LABELS)[number];

const show = (v: Value): string => (v === undefined ? '(no answer)' : Array.isArray(v) ? `[${v.join(', ')}]` : JSON.stringify(v));
/** 'read A <a>, read B <b>' for the two reads compared, by their labels. */
type Both = (a: Value, b: Value) => string;
const naming = ([first, second]: readonly [string, string]): Both => (a, b) => `read ${first} ${show(a)}, read ${second} ${show(b)}`;
const both = naming(['A', 'B']);

function sameValue(a: Value, b: Value): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => x === b[i]);
  return a === b;
}

/** Position on the option scale (steps are counted in positions, whatever the codes). */
function rankOf(cq: CompiledQuestion, v: Value): number {
  return cq.options?.findIndex((o) => o.value === v) ?? -1;
}

type Check<K extends DiscordanceRule['kind']> = (rule: Extract<DiscordanceRule, { kind: K }>, cq: CompiledQuestion, a: Value, b: Value, both: Both) => string | undefined;

const CHECKS: { [K in DiscordanceRule['kind']]: Check<K> } = {
  gradability: (rule, cq, a, b, both) => {
    const [ca, cb] = [codeOf(cq.question, a), codeOf(cq.question, b)];
    if (ca === null || cb === null) return undefined;
    const gradable = (c: number) => !rule.ungradableCodes.includes(c);
    return gradable(ca) === gradable(cb) ? undefined : `gradable vs not gradable: ${both(a, b)}`;
  },
  ordinalThreshold: (rule, cq, a, b, both) => {
    const [ca, cb] = [codeOf(cq.question, a), codeOf(cq.question, b)];
    if (ca === null || cb === null) return undefined;
    if (ca >= rule.threshold !== cb >= rule.threshold) return `on different sides of the threshold (code ≥ ${rule.threshold}): ${both(a, b)}`;
    const steps = Math.abs(rankOf(cq, a) - rankOf(cq, b));
    return rule.maxStepDiff !== undefined && steps > rule.maxStepDiff ? `${steps} steps apart (more than ${rule.maxStepDiff}): ${both(a, b)}` : undefined;
  },
  anyDifference: (_rule, _cq, a, b, both) => (sameValue(a, b) ? undefined : `answers differ: ${both(a, b)}`),
  classGroups: (rule, cq, a, b, both) => {
    if (a === undefined || b === undefined) return undefined;
    const group = (v: Value) => {
      const entry = cq.options?.find((o) => o.value === v);
      return entry ? rule.groups.findIndex((g) => g.includes(conditionValue(entry))) : -1;
    };
    return group(a) === group(b) ? undefined : `in different classes: ${both(a, b)}`;
  },
  numberDelta: (rule, _cq, a, b, both) => {
    if (a === undefined || b === undefined || (a === 'unable' && b === 'unable')) return undefined;
    if (typeof a !== 'number' || typeof b !== 'number') return `only one read could measure it: ${both(a, b)}`;
    // Tolerance: 0.7 − 0.5 is 0.19999999999999996 in binary floating point.
    return Math.abs(a - b) >= rule.delta - 1e-9 ? `differ by ${Number(Math.abs(a - b).toFixed(6))} (≥ ${rule.delta}): ${both(a, b)}` : undefined;
  },
  valueTriggersReview: (rule, _cq, a, b, both) => {
    const holds = (v: Value) => (Array.isArray(v) ? (v as unknown[]).includes(rule.value) : v === rule.value);
    return holds(a) || holds(b) ? `${JSON.stringify(rule.value)} requires review: ${both(a, b)}` : undefined;
  },
  answerTriggersReview: (_rule, _cq, a, b, both) => (a !== undefined || b !== undefined ? `answered, requires review: ${both(a, b)}` : undefined),
};

function runCheck(rule: DiscordanceRule, cq: CompiledQuestion, a: Value, b: Value, names: Both): string | undefined {
  return (CHECKS[rule.kind] as Check<typeof rule.kind>)(rule as never, cq, a, b, names);
}

/**
 * Rules that compare one read's answer with the other's. On an eye that a gradability rule finds
 * not gradable in either read (D1: ungradable, not acquired) they stay silent: the other read's
 * grading answers have nothing to be compared with, and D1 already sends the eye to adjudication.
 * Review triggers (D5, D6) are about what one read says, so they still fire there.
 */
const COMPARES: ReadonlySet<DiscordanceRule['kind']> = new Set(['ordinalThreshold', 'anyDifference', 'classGroups', 'numberDelta']);

/** Eyes where some gradability rule finds either read not gradable (every eye for a participant-level one). */
function notGradableEyes(cf: ReturnType<typeof compileForm>, rules: readonly DiscordanceRule[], eyes: readonly Eye[], reads: readonly NormalisedAnswers[]): Set<Eye> {
  const out = new Set<Eye>();
  for (const rule of rules) {
    if (rule.kind !== 'gradability') continue;
    const cq = cf.byKey.get(rule.question);
    if (!cq) continue;
    const notGradable = (v: Value) => {
      const code = codeOf(cq.question, v);
      return code !== null && rule.ungradableCodes.includes(code);
    };
    for (const eye of eyes) {
      if (reads.some((r) => notGradable(scopeOf(r, cq.perEye ? eye : undefined)?.[rule.question]))) out.add(eye);
    }
  }
  return out;
}

/** Eyes either read answered, in form order. */
function readEyes(form: Form, readA: NormalisedAnswers, readB: NormalisedAnswers): Eye[] {
  return form.eyes.filter((e) => readA.eyes[e] !== undefined || readB.eyes[e] !== undefined);
}

const scopeOf = (read: NormalisedAnswers, eye: Eye | undefined): ScopeAnswers | undefined => (eye ? read.eyes[eye] : read.participant);

const PRIORITY_ORDER: Priority[] = ['safety', 'normal', 'low'];

/**
 * The rules that fire between two reads. `names` are the labels the details give them (the
 * adjudicator's A, B, C …); default A and B.
 */
export function evaluateDiscordance(
  form: Form,
  rules: readonly DiscordanceRule[],
  readA: NormalisedAnswers,
  readB: NormalisedAnswers,
  names: readonly [string, string] = ['A', 'B'],
): DiscordanceResult {
  const cf = compileForm(form);
  const eyes = readEyes(form, readA, readB);
  const silent = notGradableEyes(cf, rules, eyes, [readA, readB]);
  const label = naming(names);
  const reasons: DiscordanceReason[] = [];
  const fired = new Set<Priority>();
  for (const rule of rules) {
    const cq = cf.byKey.get(rule.question);
    if (!cq) continue; // config validation guarantees the question exists
    for (const eye of cq.perEye ? eyes : [undefined]) {
      if (eye !== undefined && silent.has(eye) && COMPARES.has(rule.kind)) continue;
      const detail = runCheck(rule, cq, scopeOf(readA, eye)?.[rule.question], scopeOf(readB, eye)?.[rule.question], label);
      if (detail === undefined) continue;
      reasons.push({ rule: rule.id, question: rule.question, ...(eye ? { eye } : {}), detail });
      fired.add(rule.priority);
    }
  }
  return { discordant: reasons.length > 0, reasons, priority: highestPriority(fired) };
}

/** 'safety' before 'normal' before 'low'; 'normal' when nothing fired. */
export function highestPriority(fired: Iterable<Priority>): Priority {
  const set = new Set(fired);
  return PRIORITY_ORDER.find((p) => set.has(p)) ?? 'normal';
}

// ---------------------------------------------------------------------------------------------
// Final grades.

export type Provenance = 'concordant' | 'adjudicated' | 'single_read';

export interface FinalNote {
  question: string;
  eye?: Eye;
  /** moreSevere: reads differed, the more severe was kept; oneReadOnly: only one read answered; unresolved: left out. */
  kind: 'moreSevere' | 'oneReadOnly' | 'unresolved';
  detail: string;
}

export interface FinalGrade {
  provenance: Provenance;
  value: NormalisedAnswers;
  notes: FinalNote[];
}

/** The more severe of two differing answers, or undefined when the scale has no severity order. */
function moreSevere(cq: CompiledQuestion, a: AnswerValue, b: AnswerValue): AnswerValue | undefined {
  const q = cq.question;
  if (!('severity' in q) || q.severity === 'none') return undefined;
  // Order the pair (low, high) on the scale, then pick the end the question calls severe.
  const pick = (low: AnswerValue, high: AnswerValue) => (q.severity === 'higher' ? high : low);
  switch (q.type) {
    case 'ordinal':
      return rankOf(cq, a) <= rankOf(cq, b) ? pick(a, b) : pick(b, a);
    case 'number':
      return typeof a === 'number' && typeof b === 'number' ? pick(Math.min(a, b), Math.max(a, b)) : undefined;
    case 'bool':
      return pick(false, true);
  }
}

function merge(cq: CompiledQuestion, a: Value, b: Value, note: (kind: FinalNote['kind'], detail: string) => void): Value {
  if (sameValue(a, b)) return a;
  if (a === undefined || b === undefined) {
    note('oneReadOnly', `only one read answered: ${both(a, b)}`);
    return a ?? b;
  }
  const chosen = moreSevere(cq, a, b);
  note(chosen === undefined ? 'unresolved' : 'moreSevere', chosen === undefined ? `reads differ and no rule applies; left out: ${both(a, b)}` : `kept the more severe ${show(chosen)}: ${both(a, b)}`);
  return chosen;
}

/**
 * Final answer of a pair that `evaluateDiscordance` found concordant (reading.md D2: differences
 * below the threshold take the more severe grade). Walks the form so that anything hidden by the
 * merged answers (e.g. `otherText` when `otherFindings` was left out) is dropped too.
 */
export function concordantFinal(form: Form, readA: NormalisedAnswers, readB: NormalisedAnswers, facts: CaseFacts): FinalGrade {
  const cf = compileForm(form);
  const notes: FinalNote[] = [];
  const mergeScope = (questions: readonly CompiledQuestion[], context: Record<string, unknown>, eye?: Eye) =>
    walkScope(questions, context, (cq, visible) => {
      if (!visible) return undefined;
      const key = cq.question.key;
      return merge(cq, scopeOf(readA, eye)?.[key], scopeOf(readB, eye)?.[key], (kind, detail) => notes.push({ question: key, ...(eye ? { eye } : {}), kind, detail }));
    });
  const participant = mergeScope(cf.participant, factContext(facts));
  const eyes: NormalisedAnswers['eyes'] = {};
  for (const eye of readEyes(form, readA, readB).filter((e) => caseEyes(form, facts).includes(e))) {
    eyes[eye] = mergeScope(cf.eye, eyeContext(participant.context, facts, eye), eye).answers;
  }
  return { provenance: 'concordant', value: { eyes, participant: participant.answers }, notes };
}

/**
 * The concordant final of any number of reads (k ≥ 2), merged pairwise in the order given: each
 * step keeps equal answers, a lone answer, or the more severe one (see `concordantFinal`).
 */
export function mergeReads(form: Form, reads: readonly NormalisedAnswers[], facts: CaseFacts): FinalGrade {
  if (reads.length < 2) throw new Error('mergeReads needs at least two reads');
  let merged = concordantFinal(form, reads[0], reads[1], facts);
  for (const next of reads.slice(2)) {
    const more = concordantFinal(form, merged.value, next, facts);
    merged = { ...more, notes: [...merged.notes, ...more.notes] };
  }
  return merged;
}

/** Final answer when the case has (or needs) only one read. */
export function singleReadFinal(read: NormalisedAnswers): FinalGrade {
  return { provenance: 'single_read', value: read, notes: [] };
}

/**
 * Whether a concordant case goes to senior QA: when the final kept the more severe of two
 * differing grades on a question whose threshold rule asks for a QA sample (D2: 10 %). The draw
 * is a stable hash of the case id, so re-running it gives the same answer.
 */
export function needsQaSample(rules: readonly DiscordanceRule[], final: FinalGrade, caseId: string): boolean {
  const differed = new Set(final.notes.filter((n) => n.kind === 'moreSevere').map((n) => n.question));
  const share = Math.max(0, ...rules.map((r) => (r.kind === 'ordinalThreshold' && differed.has(r.question) ? r.qaSampleShare : 0)));
  return share > 0 && inSample(`qa:${caseId}`, share);
}
