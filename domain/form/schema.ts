/**
 * The per-eye diagnosis form a study reads with: questions, their options and option labels (Korean
 * and English), and `visibleIf` conditions checked against the questions they name. Pure zod: the
 * CDK app validates a study's form at synth time, the functions and the portal use the same types
 * and the same validator (./validator.ts) at run time.
 */
import * as z from 'zod';
import { EYES } from '../case';
import { compileVisibleIf, VisibleIfParseError, type IdentifierUse } from './visible-if';

export { EYES };
export const EyeSchema = z.enum(EYES);
export type Eye = z.infer<typeof EyeSchema>;

/** Case facts (known before anyone reads) that a `visibleIf` may name besides question keys. */
export const CASE_FACTS = ['octPresent'] as const;

// camelCase keeps keys usable as visibleIf identifiers and CSV columns, and rules out `__proto__`.
export const KeySchema = z.string().regex(/^[a-z][A-Za-z0-9]{0,63}$/, 'must be camelCase: a lower-case letter, then letters or digits (max 64)');
export const OptionValueSchema = z.string().regex(/^[A-Za-z0-9_]{1,64}$/, 'must be letters, digits or _ (max 64)');
// The portal shows Korean and English side by side, so a label is both or nothing.
const LabelText = z.string({ error: (i) => (i.input === undefined ? 'required: a label needs both en and ko' : undefined) }).min(1).max(200);
const LabelSchema = z.strictObject({ en: LabelText, ko: LabelText });
export type Label = z.infer<typeof LabelSchema>;

const CodedOptionSchema = z.strictObject({ code: z.number().int().min(-1000).max(1000), v: OptionValueSchema });
/** An option is a plain string, a plain number (numeric ordinal scales), or a coded string. */
const OptionSchema = z.union([OptionValueSchema, z.number().finite(), CodedOptionSchema]);
export type Option = z.infer<typeof OptionSchema>;

const common = {
  key: KeySchema,
  label: LabelSchema.optional(),
  visibleIf: z.string().min(1).optional(),
  /** Where the item comes from (a paper, a standard); documentation only. */
  source: z.string().optional(),
};
const answerable = { ...common, required: z.boolean().default(false) };
/**
 * Display labels of the options, keyed by the stored value (a number option by its decimal
 * string, e.g. "1"). Kept beside `options` rather than inside them so stored values and codes stay
 * exactly as they are. Optional, but when given every option needs one (refineForm).
 */
const OptionLabelsSchema = z.record(z.string(), LabelSchema);
const choice = <T extends 'single' | 'multi' | 'ordinal'>(type: T) =>
  z.strictObject({ ...answerable, type: z.literal(type), options: z.array(OptionSchema).min(1).max(100), optionLabels: OptionLabelsSchema.optional() });
/**
 * Which end of a scale is the more severe finding, for questions that have one (ordinal: later
 * options, number: larger values, bool: true). When two reads differ within the discordance
 * threshold, the final keeps the more severe answer (reading.md D2). `none` is for scales without
 * a severity (a reader's confidence, a quality rating): differing answers are left out of the final.
 */
const severity = { severity: z.enum(['higher', 'lower', 'none']).default('higher') };
export type Severity = z.infer<typeof severity.severity>;

export const QuestionSchema = z.discriminatedUnion('type', [
  choice('single'),
  choice('multi'),
  choice('ordinal').extend(severity),
  z.strictObject({
    ...answerable,
    ...severity,
    type: z.literal('number'),
    min: z.number().finite(),
    max: z.number().finite(),
    step: z.number().positive().finite().optional(),
    /** Lets the reader answer the string 'unable' instead of a number. */
    allowUnable: z.boolean().default(false),
  }),
  z.strictObject({ ...answerable, ...severity, type: z.literal('bool') }),
  z.strictObject({ ...answerable, type: z.literal('text'), maxLength: z.number().int().min(1).max(10_000).default(500) }),
  // Computed by the platform (never by the reader), so it has no `required`.
  z.strictObject({ ...common, type: z.literal('derived'), rule: z.string().optional() }),
]);
export type Question = z.infer<typeof QuestionSchema>;
export type QuestionType = Question['type'];
export type ChoiceQuestion = Extract<Question, { options: unknown }>;

export const SectionSchema = z.strictObject({
  key: KeySchema,
  /** false: answered once per participant (stored under `participant`), not per eye. */
  perEye: z.boolean(),
  visibleIf: z.string().min(1).optional(),
  label: LabelSchema.optional(),
  source: z.string().optional(),
  questions: z.array(QuestionSchema).min(1).max(200),
});
export type Section = z.infer<typeof SectionSchema>;

/** One option as the platform sees it: the stored answer value, its numeric code, its label. */
export interface OptionEntry {
  readonly value: string | number;
  /** Code for statistics and visibleIf; undefined for plain string options. */
  readonly code: number | undefined;
  /** What the portal shows; undefined when the form does not label its options. */
  readonly label?: Label;
}

/** `optionLabels` key of an option value. */
const labelKey = (value: string | number) => String(value);

export function optionEntries(q: ChoiceQuestion): OptionEntry[] {
  // hasOwn: a value such as 'constructor' must not find Object.prototype's.
  const labelOf = (value: string | number) =>
    q.optionLabels && Object.hasOwn(q.optionLabels, labelKey(value)) ? { label: q.optionLabels[labelKey(value)] } : {};
  return q.options.map((o) => {
    const [value, code] = typeof o === 'object' ? [o.v, o.code] : [o, typeof o === 'number' ? o : undefined];
    return { value, code, ...labelOf(value) };
  });
}

/** The value a visibleIf sees for an option: its code when it has one, otherwise its value. */
export function conditionValue(o: OptionEntry): string | number {
  return o.code ?? o.value;
}

export const isChoice = (q: Question): q is ChoiceQuestion => 'options' in q;
export const isCoded = (q: Question): q is ChoiceQuestion => isChoice(q) && optionEntries(q).every((o) => o.code !== undefined);

export type Ctx = z.RefinementCtx;
export type Path = (string | number)[];
export const issue = (ctx: Ctx, path: Path, message: string) => ctx.addIssue({ code: 'custom', path, message });

function checkUnique(ctx: Ctx, values: readonly unknown[], path: (i: number) => Path, what: string): void {
  const seen = new Set<unknown>();
  values.forEach((v, i) => {
    if (seen.has(v)) issue(ctx, path(i), `duplicate ${what} ${JSON.stringify(v)}`);
    seen.add(v);
  });
}

function checkOptions(ctx: Ctx, q: ChoiceQuestion, path: Path): void {
  const kinds = new Set(q.options.map((o) => typeof o));
  if (kinds.size > 1) return issue(ctx, [...path, 'options'], 'options must be all strings, all numbers or all {code, v}');
  const entries = optionEntries(q);
  checkUnique(ctx, entries.map((o) => o.value), (i) => [...path, 'options', i], 'option');
  checkUnique(ctx, entries.map((o) => o.code).filter((c) => c !== undefined), (i) => [...path, 'options', i], 'code');
  if (q.type === 'ordinal' && !isCoded(q)) {
    issue(ctx, [...path, 'options'], 'ordinal options must be numbers or {code, v} so that weighted kappa can be computed');
  }
  if (q.type === 'multi' && kinds.has('number')) issue(ctx, [...path, 'options'], 'multi options must be strings or {code, v}');
  if (q.optionLabels) checkOptionLabels(ctx, q.optionLabels, entries, [...path, 'optionLabels']);
}

/** All or none: a partly labelled question would show bare codes beside translated options. */
function checkOptionLabels(ctx: Ctx, labels: Record<string, Label>, entries: readonly OptionEntry[], path: Path): void {
  const keys = entries.map((o) => labelKey(o.value));
  for (const key of Object.keys(labels)) {
    if (!keys.includes(key)) issue(ctx, [...path, key], `'${key}' is not an option value (options: ${keys.join(', ')})`);
  }
  for (const key of keys) {
    if (!Object.hasOwn(labels, key)) issue(ctx, [...path, key], `missing: when optionLabels is given, every option needs { en, ko }`);
  }
}

function checkQuestionShape(ctx: Ctx, q: Question, path: Path): void {
  if (isChoice(q)) checkOptions(ctx, q, path);
  if (q.type === 'number' && !(q.min < q.max)) issue(ctx, [...path, 'max'], 'max must be greater than min');
}

/** Where a question lives, for visibleIf scoping. */
interface Located {
  readonly question: Question;
  readonly perEye: boolean;
}

/** Checks one identifier use against what it names; returns a message or undefined. */
function checkUse(use: IdentifierUse, target: Located | 'fact'): string | undefined {
  const literals = use.values;
  if (target === 'fact' || target.question.type === 'bool') {
    const ok = use.op === undefined || ((use.op === '==' || use.op === '!=') && typeof literals[0] === 'boolean');
    return ok ? undefined : `'${use.name}' is boolean: use it bare, or compare with == true/false`;
  }
  const q = target.question;
  if (use.op === undefined) return `'${use.name}' is not boolean; compare it with a value`;
  if (q.type === 'derived') return `'${use.name}' is derived and never answered`;
  if (q.type === 'text') return use.op === '==' || use.op === '!=' ? undefined : `'${use.name}' is text: only == and != apply`;
  if (q.type === 'number') {
    const ok = literals.every((l) => typeof l === 'number' || (l === 'unable' && q.allowUnable));
    return ok && use.op !== 'contains' ? undefined : `'${use.name}' is a number: compare it with numbers`;
  }
  if ((q.type === 'multi') !== (use.op === 'contains')) {
    return q.type === 'multi' ? `'${use.name}' is multi-choice: use contains` : `'contains' applies only to multi-choice questions`;
  }
  const allowed = optionEntries(q).map(conditionValue);
  const bad = literals.find((l) => !allowed.includes(l as string | number));
  if (bad !== undefined) return `${JSON.stringify(bad)} is not a ${isCoded(q) ? 'code' : 'value'} of '${use.name}' (allowed: ${allowed.join(', ')})`;
  return undefined;
}

/** visibleIf may name case facts and questions answered earlier in the form, in a scope it can see. */
function checkVisibleIf(ctx: Ctx, source: string | undefined, path: Path, perEye: boolean, earlier: ReadonlyMap<string, Located>): void {
  if (source === undefined) return;
  let uses: readonly IdentifierUse[];
  try {
    uses = compileVisibleIf(source).uses;
  } catch (e) {
    return issue(ctx, path, e instanceof VisibleIfParseError ? e.message : String(e));
  }
  for (const use of uses) {
    const target = (CASE_FACTS as readonly string[]).includes(use.name) ? 'fact' : earlier.get(use.name);
    if (target === undefined) {
      issue(ctx, path, `'${use.name}' is neither a case fact (${CASE_FACTS.join(', ')}) nor a question earlier in the form`);
    } else if (target !== 'fact' && target.perEye && !perEye) {
      issue(ctx, path, `'${use.name}' is a per-eye question; a participant-level item cannot depend on it`);
    } else {
      const problem = checkUse(use, target);
      if (problem) issue(ctx, path, problem);
    }
  }
}

function refineForm(form: { eyes: readonly Eye[]; sections: readonly Section[] }, ctx: Ctx): void {
  checkUnique(ctx, form.eyes, (i) => ['eyes', i], 'eye');
  checkUnique(ctx, form.sections.map((s) => s.key), (i) => ['sections', i, 'key'], 'section key');
  const earlier = new Map<string, Located>();
  form.sections.forEach((section, si) => {
    checkVisibleIf(ctx, section.visibleIf, ['sections', si, 'visibleIf'], section.perEye, earlier);
    section.questions.forEach((question, qi) => {
      const path = ['sections', si, 'questions', qi];
      if (earlier.has(question.key)) issue(ctx, [...path, 'key'], `duplicate question key '${question.key}'`);
      if ((CASE_FACTS as readonly string[]).includes(question.key)) issue(ctx, [...path, 'key'], `'${question.key}' is reserved for a case fact`);
      checkQuestionShape(ctx, question, path);
      checkVisibleIf(ctx, question.visibleIf, [...path, 'visibleIf'], section.perEye, earlier);
      earlier.set(question.key, { question, perEye: section.perEye });
    });
  });
}

export const FormSchema = z
  .strictObject({
    formId: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be lowercase letters, digits and dashes'),
    formVersion: z.string().regex(/^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?$/, 'must be a semantic version such as 1.0.0'),
    eyes: z.array(EyeSchema).min(1).max(2),
    sections: z.array(SectionSchema).min(1).max(50),
  })
  .superRefine(refineForm);
export type Form = z.infer<typeof FormSchema>;
export type FormInput = z.input<typeof FormSchema>;
