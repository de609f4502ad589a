/**
 * Server-side validation of one reader's answers against the study's form.
 *
 * Answer shape (what the portal sends and what is stored):
 *   { eyes: { OD?: { [questionKey]: value }, OS?: {...} }, participant: { [questionKey]: value } }
 * Values: single/ordinal → the option's value string (the number itself for numeric-only options);
 * multi → non-empty array of option strings, no repeats (normalised to form order); number → a
 * number in [min, max] on the step grid, or 'unable' when allowed; bool → boolean; text → trimmed
 * NFC string without control characters, ≤ maxLength UTF-16 units. Derived items are never sent.
 * A key that is absent is unanswered; `null` is not a value.
 *
 * Pure and total: any JSON (or non-JSON) input yields a result, never an exception.
 */
import { conditionValue, optionEntries, type ChoiceQuestion, type Eye, type Form, type OptionEntry, type Question } from './schema';
import { compileVisibleIf, type CompiledVisibleIf } from './visible-if';
import type { AnswerValue, NormalisedAnswers, ScopeAnswers } from '../answers';
import type { CaseFacts } from '../case';

export type ValidationRule =
  | 'type'
  | 'unknownKey'
  | 'unknownEye'
  | 'hidden'
  | 'required'
  | 'derived'
  | 'option'
  | 'duplicate'
  | 'empty'
  | 'range'
  | 'step'
  | 'maxLength'
  | 'controlChars'
  | 'tooManyErrors'
  | 'internal';

export interface ValidationError {
  /** Dotted path, e.g. 'eyes.OD.icdrLevel' or 'participant.referral'; '$' is the whole body. */
  path: string;
  rule: ValidationRule;
  message: string;
}

export type ValidationResult = { ok: true; value: NormalisedAnswers } | { ok: false; errors: ValidationError[] };

// ---------------------------------------------------------------------------------------------
// The form, compiled once per form object.

export interface CompiledQuestion {
  readonly question: Question;
  readonly perEye: boolean;
  /** Option entries for choice questions, in form order. */
  readonly options?: readonly OptionEntry[];
  /** Section and own conditions; all must hold. */
  readonly conditions: readonly CompiledVisibleIf[];
}

export interface CompiledForm {
  readonly form: Form;
  readonly eye: readonly CompiledQuestion[];
  readonly participant: readonly CompiledQuestion[];
  readonly byKey: ReadonlyMap<string, CompiledQuestion>;
}

const compiled = new WeakMap<Form, CompiledForm>();

export function compileForm(form: Form): CompiledForm {
  const cached = compiled.get(form);
  if (cached) return cached;
  const all: CompiledQuestion[] = form.sections.flatMap((section) => {
    const sectionCondition = section.visibleIf ? [compileVisibleIf(section.visibleIf)] : [];
    return section.questions.map((question) => ({
      question,
      perEye: section.perEye,
      options: 'options' in question ? optionEntries(question) : undefined,
      conditions: question.visibleIf ? [...sectionCondition, compileVisibleIf(question.visibleIf)] : sectionCondition,
    }));
  });
  const result: CompiledForm = {
    form,
    eye: all.filter((q) => q.perEye),
    participant: all.filter((q) => !q.perEye),
    byKey: new Map(all.map((q) => [q.question.key, q])),
  };
  compiled.set(form, result);
  return result;
}

/** What a visibleIf sees for an answer: option codes where options are coded, else the value. */
function conditionValueOf(cq: CompiledQuestion, value: AnswerValue): unknown {
  if (!cq.options) return value;
  const toCondition = (v: unknown) => {
    const entry = cq.options!.find((o) => o.value === v);
    return entry ? conditionValue(entry) : v;
  };
  return Array.isArray(value) ? value.map(toCondition) : toCondition(value);
}

/** Facts as the visibleIf context sees them (the participant scope: any eye). */
export function factContext(facts: CaseFacts): Record<string, unknown> {
  return { octPresent: facts.octPresent === true };
}

/**
 * The context one eye's questions start from: the participant scope's answers and facts, with
 * `octPresent` narrowed to this eye, so an eye without its own OCT is never asked OCT questions.
 */
export function eyeContext(participantContext: Readonly<Record<string, unknown>>, facts: CaseFacts, eye: Eye): Record<string, unknown> {
  return { ...participantContext, octPresent: facts.octPresent === true && (facts.octEyes === undefined || facts.octEyes.includes(eye)) };
}

/**
 * Walks one scope's questions in form order, deciding each visible question's value with
 * `decide`; hidden questions are skipped, and a later condition sees only the values kept so far,
 * so anything that depends on a hidden or rejected answer is hidden too.
 */
export function walkScope(
  questions: readonly CompiledQuestion[],
  baseContext: Readonly<Record<string, unknown>>,
  decide: (cq: CompiledQuestion, visible: boolean) => AnswerValue | undefined,
): { answers: ScopeAnswers; context: Record<string, unknown> } {
  const answers: ScopeAnswers = {};
  const context: Record<string, unknown> = { ...baseContext };
  for (const cq of questions) {
    const visible = cq.conditions.every((c) => c.evaluate(context));
    const value = decide(cq, visible);
    if (value === undefined) continue;
    answers[cq.question.key] = value;
    context[cq.question.key] = conditionValueOf(cq, value);
  }
  return { answers, context };
}

/** Eyes a case's answers may hold: the case's imaged eyes that the form asks about. */
export function caseEyes(form: Form, facts: CaseFacts): Eye[] {
  return form.eyes.filter((e) => !facts.eyes || facts.eyes.includes(e));
}

// ---------------------------------------------------------------------------------------------
// Single values.

type Checked = { ok: true; value: AnswerValue } | { ok: false; rule: ValidationRule; message: string };
const fail = (rule: ValidationRule, message: string): Checked => ({ ok: false, rule, message });
const okValue = (value: AnswerValue): Checked => ({ ok: true, value });

const preview = (v: unknown): string => {
  const text = typeof v === 'string' ? JSON.stringify(v) : Array.isArray(v) ? 'an array' : v === null ? 'null' : typeof v;
  return text.length > 40 ? text.slice(0, 40) + '…' : text;
};

function checkChoice(q: ChoiceQuestion, options: readonly OptionEntry[], value: unknown): Checked {
  const entry = options.find((o) => o.value === value);
  if (entry) return okValue(entry.value);
  const codeHint = typeof value === 'number' && options.some((o) => o.code === value) ? ' (send the option value, not its code)' : '';
  return fail('option', `${preview(value)} is not an option of '${q.key}'${codeHint}; allowed: ${options.map((o) => o.value).join(', ')}`);
}

function checkMulti(q: ChoiceQuestion, options: readonly OptionEntry[], value: unknown): Checked {
  if (!Array.isArray(value)) return fail('type', `'${q.key}' takes an array of options, not ${preview(value)}`);
  if (value.length === 0) return fail('empty', `'${q.key}' needs at least one option; omit it to leave it unanswered`);
  if (value.length > options.length) return fail('duplicate', `'${q.key}' has more items than options`);
  const chosen = new Set<unknown>();
  for (const item of value) {
    const checked = checkChoice(q, options, item);
    if (!checked.ok) return checked;
    if (chosen.has(item)) return fail('duplicate', `'${q.key}' repeats ${preview(item)}`);
    chosen.add(item);
  }
  // Form order, so that equal sets compare equal (multi options are strings: see FormSchema).
  return okValue(options.filter((o) => chosen.has(o.value)).map((o) => o.value as string));
}

function decimals(x: number): number {
  const [mantissa, exponent] = String(x).split('e');
  const fraction = mantissa.split('.')[1]?.length ?? 0;
  return Math.max(0, fraction - Number(exponent ?? 0));
}

/** Snaps to the step grid within float tolerance; undefined when off the grid. */
export function snapToStep(value: number, min: number, step: number): number | undefined {
  const steps = (value - min) / step;
  const k = Math.round(steps);
  if (Math.abs(steps - k) > 1e-6) return undefined;
  return Number((min + k * step).toFixed(Math.min(15, Math.max(decimals(step), decimals(min)))));
}

function checkNumber(q: Extract<Question, { type: 'number' }>, value: unknown): Checked {
  if (value === 'unable' && q.allowUnable) return okValue('unable');
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    return fail('type', `'${q.key}' takes a number${q.allowUnable ? " or 'unable'" : ''}, not ${preview(value)}`);
  }
  const snapped = q.step === undefined ? value : snapToStep(value, q.min, q.step);
  if (snapped === undefined) return fail('step', `'${q.key}' must be a multiple of ${q.step} from ${q.min}`);
  if (snapped < q.min || snapped > q.max) return fail('range', `'${q.key}' must be between ${q.min} and ${q.max}`);
  return okValue(snapped);
}

// C0/C1 controls except tab and newline, bidirectional overrides (text that displays differently
// from what is stored) and unpaired surrogates (not encodable as UTF-8).
const FORBIDDEN_TEXT = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function checkText(q: Extract<Question, { type: 'text' }>, value: unknown): Checked {
  if (typeof value !== 'string') return fail('type', `'${q.key}' takes text, not ${preview(value)}`);
  // Reject clearly oversized input before normalising it.
  if (value.length > q.maxLength * 4 + 1024) return fail('maxLength', `'${q.key}' is longer than ${q.maxLength} characters`);
  if (FORBIDDEN_TEXT.test(value.replace(/\r\n/g, '\n'))) return fail('controlChars', `'${q.key}' contains control or invisible formatting characters`);
  const text = value.replace(/\r\n/g, '\n').normalize('NFC').trim();
  if (text.length === 0) return fail('empty', `'${q.key}' is blank; omit it to leave it unanswered`);
  if (text.length > q.maxLength) return fail('maxLength', `'${q.key}' is longer than ${q.maxLength} characters`);
  return okValue(text);
}

function checkValue(cq: CompiledQuestion, value: unknown): Checked {
  const q = cq.question;
  switch (q.type) {
    case 'single':
    case 'ordinal':
      return checkChoice(q, cq.options!, value);
    case 'multi':
      return checkMulti(q, cq.options!, value);
    case 'number':
      return checkNumber(q, value);
    case 'bool':
      return typeof value === 'boolean' ? okValue(value) : fail('type', `'${q.key}' takes true or false, not ${preview(value)}`);
    case 'text':
      return checkText(q, value);
    case 'derived':
      return fail('derived', `'${q.key}' is derived by the platform and cannot be answered`);
  }
}

// ---------------------------------------------------------------------------------------------
// Whole answers.

const MAX_ERRORS = 100;

export const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

// An own property holding `undefined` (possible from JS callers, never from JSON) counts as absent.
const own = (o: Record<string, unknown>, k: string) => Object.prototype.hasOwnProperty.call(o, k) && o[k] !== undefined;
/** Appends a key to a dotted path; keys that are not identifiers are quoted, so no path is ever empty. */
function joinPath(prefix: string, key: string): string {
  if (/^[A-Za-z_$][\w$]{0,63}$/.test(key)) return prefix ? `${prefix}.${key}` : key;
  return `${prefix || '$'}[${JSON.stringify(key.length > 64 ? key.slice(0, 64) + '…' : key)}]`;
}

class Collector {
  readonly errors: ValidationError[] = [];
  add(path: string, rule: ValidationRule, message: string): void {
    if (this.errors.length < MAX_ERRORS) this.errors.push({ path, rule, message });
    else if (this.errors.length === MAX_ERRORS) this.errors.push({ path: '$', rule: 'tooManyErrors', message: `more than ${MAX_ERRORS} errors; the rest are not listed` });
  }
}

function validateScope(
  questions: readonly CompiledQuestion[],
  raw: Record<string, unknown>,
  baseContext: Readonly<Record<string, unknown>>,
  prefix: string,
  mode: 'draft' | 'submit',
  out: Collector,
) {
  const known = new Set(questions.map((q) => q.question.key));
  for (const key of Object.keys(raw)) {
    if (!known.has(key) && own(raw, key)) out.add(joinPath(prefix, key), 'unknownKey', `${JSON.stringify(key.slice(0, 64))} is not a question in ${prefix}`);
  }
  return walkScope(questions, baseContext, (cq, visible) => {
    const key = cq.question.key;
    const path = `${prefix}.${key}`;
    if (!own(raw, key)) {
      if (visible && mode === 'submit' && 'required' in cq.question && cq.question.required) out.add(path, 'required', `'${key}' is required`);
      return undefined;
    }
    if (!visible && cq.question.type !== 'derived') {
      out.add(path, 'hidden', `'${key}' is hidden by its condition (${cq.conditions.map((c) => c.source).join(' && ')}) and must be left out`);
      return undefined;
    }
    const checked = checkValue(cq, raw[key]);
    if (checked.ok) return checked.value;
    out.add(path, checked.rule, checked.message);
    return undefined;
  });
}

/** Reads an optional object-valued member; reports a type error and yields undefined otherwise. */
function member(parent: Record<string, unknown>, key: string, path: string, out: Collector): Record<string, unknown> | undefined {
  if (!own(parent, key)) return undefined;
  const value = parent[key];
  if (isPlainObject(value)) return value;
  out.add(path, 'type', `${path} must be an object`);
  return undefined;
}

function validate(form: Form, answers: unknown, facts: CaseFacts, mode: 'draft' | 'submit'): ValidationResult {
  const out = new Collector();
  if (!isPlainObject(answers)) return { ok: false, errors: [{ path: '$', rule: 'type', message: 'answers must be an object { eyes, participant }' }] };
  for (const key of Object.keys(answers)) {
    if (key !== 'eyes' && key !== 'participant') out.add(joinPath('', key), 'unknownKey', `${JSON.stringify(key.slice(0, 64))} is not part of the answers (expected eyes, participant)`);
  }
  const cf = compileForm(form);
  const participantRaw = member(answers, 'participant', 'participant', out) ?? {};
  const participant = validateScope(cf.participant, participantRaw, factContext(facts), 'participant', mode, out);

  const eyesRaw = member(answers, 'eyes', 'eyes', out);
  // A malformed `eyes` is one error, not one per missing eye.
  if (eyesRaw === undefined && own(answers, 'eyes')) return { ok: false, errors: out.errors };
  const allowedEyes = caseEyes(form, facts);
  for (const key of Object.keys(eyesRaw ?? {})) {
    if (!(allowedEyes as string[]).includes(key)) out.add(joinPath('eyes', key), 'unknownEye', `${JSON.stringify(key.slice(0, 64))} is not an eye of this case (${allowedEyes.join(', ')})`);
  }
  const eyes: NormalisedAnswers['eyes'] = {};
  for (const eye of allowedEyes) {
    const raw = eyesRaw && member(eyesRaw, eye, `eyes.${eye}`, out);
    // A draft may leave an eye out; a submission answers every eye of the case.
    if (raw === undefined && (mode === 'draft' || (eyesRaw !== undefined && own(eyesRaw, eye)))) continue;
    eyes[eye] = validateScope(cf.eye, raw ?? {}, eyeContext(participant.context, facts, eye), `eyes.${eye}`, mode, out).answers;
  }
  return out.errors.length > 0 ? { ok: false, errors: out.errors } : { ok: true, value: { eyes, participant: participant.answers } };
}

export function validateAnswers(form: Form, answers: unknown, facts: CaseFacts, opts: { mode: 'draft' | 'submit' }): ValidationResult {
  try {
    return validate(form, answers, facts, opts.mode);
  } catch (e) {
    // Last-resort guard (e.g. a Proxy or getter that throws): the contract is "errors, never throws".
    return { ok: false, errors: [{ path: '$', rule: 'internal', message: `answers could not be read: ${String(e).slice(0, 200)}` }] };
  }
}

/**
 * Numeric code of a stored answer for statistics: the option's code (or its position for uncoded
 * options), the number itself, 1/0 for bool; null for multi, text, derived, 'unable' and unknown values.
 */
export function codeOf(question: Question, value: unknown): number | null {
  switch (question.type) {
    case 'single':
    case 'ordinal': {
      const entries = optionEntries(question);
      const i = entries.findIndex((o) => o.value === value);
      return i < 0 ? null : (entries[i].code ?? i);
    }
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) ? value : null;
    case 'bool':
      return typeof value === 'boolean' ? Number(value) : null;
    default:
      return null;
  }
}
