/**
 * The study's reading configuration: the per-eye diagnosis form, the discordance rules that open
 * adjudication, and the assignment settings. Pure zod (no aws-cdk-lib): the CDK app validates it at
 * synth time and the reading Lambdas use the same types at run time.
 *
 * The default form follows ../shared/domain/reading.md section (b); the default rules are D1–D6 of
 * section (c), expressed as data.
 */
import * as z from 'zod';
import { compileVisibleIf, VisibleIfParseError, type IdentifierUse } from './form/visible-if';
import { EYES } from './case';

export { EYES };
export const EyeSchema = z.enum(EYES);
export type Eye = z.infer<typeof EyeSchema>;

/** Case facts (known before anyone reads) that a `visibleIf` may name besides question keys. */
export const CASE_FACTS = ['octPresent'] as const;

// camelCase keeps keys usable as visibleIf identifiers and CSV columns, and rules out `__proto__`.
const KeySchema = z.string().regex(/^[a-z][A-Za-z0-9]{0,63}$/, 'must be camelCase: a lower-case letter, then letters or digits (max 64)');
const OptionValueSchema = z.string().regex(/^[A-Za-z0-9_]{1,64}$/, 'must be letters, digits or _ (max 64)');
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

const isChoice = (q: Question): q is ChoiceQuestion => 'options' in q;
const isCoded = (q: Question): q is ChoiceQuestion => isChoice(q) && optionEntries(q).every((o) => o.code !== undefined);

type Ctx = z.RefinementCtx;
type Path = (string | number)[];
const issue = (ctx: Ctx, path: Path, message: string) => ctx.addIssue({ code: 'custom', path, message });

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

// ---------------------------------------------------------------------------------------------
// Discordance rules: each compares the two independent reads of one question (per eye for per-eye
// questions) and, when it fires, opens an adjudication or review task with its priority.

export const PrioritySchema = z.enum(['normal', 'low', 'safety']);
export type Priority = z.infer<typeof PrioritySchema>;

const rule = <K extends string, S extends z.ZodRawShape>(kind: K, shape: S, priority: Priority = 'normal') =>
  z.strictObject({
    /** Label shown with the reason, e.g. 'D2'; several rules may share one. */
    id: z.string().min(1).max(32),
    kind: z.literal(kind),
    question: KeySchema,
    priority: PrioritySchema.default(priority),
    ...shape,
  });

const CodeOrValueSchema = z.union([z.number(), OptionValueSchema]);

export const DiscordanceRuleSchema = z.discriminatedUnion('kind', [
  /** Fires when one read calls the eye gradable and the other does not. */
  rule('gradability', { ungradableCodes: z.array(z.number().int()).min(1) }),
  /**
   * Fires when the reads fall on different sides of `threshold` (code ≥ threshold), or, when
   * `maxStepDiff` is set, differ by more than that many steps. `qaSampleShare` of the concordant
   * pairs that differ below the threshold go to senior QA.
   */
  rule('ordinalThreshold', {
    threshold: z.number(),
    maxStepDiff: z.number().int().min(0).optional(),
    qaSampleShare: z.number().min(0).max(1).default(0),
  }),
  /** Fires on any difference (multi-choice answers compare as sets). */
  rule('anyDifference', {}),
  /** Fires when the reads fall in different groups; groups list codes (or values of uncoded options). */
  rule('classGroups', { groups: z.array(z.array(CodeOrValueSchema).min(1)).min(2) }),
  /** Fires when |a − b| ≥ delta, or when only one read answered 'unable'. */
  rule('numberDelta', { delta: z.number().positive() }),
  /** Fires when either read holds `value`, whatever the other says. */
  rule('valueTriggersReview', { value: z.union([z.number(), OptionValueSchema, z.boolean()]) }, 'safety'),
  /** Fires when either read answered the question at all (e.g. a free-text "other"). */
  rule('answerTriggersReview', {}, 'low'),
]);
export type DiscordanceRule = z.infer<typeof DiscordanceRuleSchema>;
export const DiscordanceRulesSchema = z.array(DiscordanceRuleSchema).max(100);

// ---------------------------------------------------------------------------------------------

export const AssignmentSettingsSchema = z.strictObject({
  readsPerCase: z.number().int().min(1).max(5).default(2),
  maxOpenPerReader: z.number().int().min(1).max(1000).default(10),
  /** Share of each reader's submitted cases re-issued as hidden repeats (intra-reader agreement). */
  hiddenRepeatShare: z.number().min(0).max(0.2).default(0.05),
  /** A repeat is issued no sooner than this many days after the original read (Moorfields: 14). */
  hiddenRepeatMinDays: z.number().int().min(1).max(365).default(14),
});
export type AssignmentSettings = z.infer<typeof AssignmentSettingsSchema>;

// ---------------------------------------------------------------------------------------------
// The proposed default form (reading.md section b). Deviations from the sketch: `largestDrusen`
// carries codes (ordinal answers must), and the derived items are keyed `iarmClass` and
// `isgeoCategory` (keys are identifiers; the type already says "derived").

const coded = (...values: string[]) => values.map((v, code) => ({ code, v }));
/** Options written once, with their labels: the values are the keys, in order. */
const labelled = (labels: Record<string, Label>) => ({ options: Object.keys(labels), optionLabels: labels });
/** The same for an ordinal scale coded 0, 1, 2… in the order given. */
const codedLabelled = (labels: Record<string, Label>) => ({ options: coded(...Object.keys(labels)), optionLabels: labels });
const GRADABLE_QUALITY = [{ code: 0, v: 'good' }, { code: 1, v: 'fair_gradable' }];

// Option labels. Korean follows the Korean Ophthalmological Society's terms (e.g. 나이관련황반변성,
// 비증식당뇨망막병증, 지도모양위축); anatomical sides use 상측/하측 as in Korean glaucoma reports.
const L = (en: string, ko: string): Label => ({ en, ko });
const NONE = { none: L('None', '없음') };
const UNCERTAIN = { uncertain: L('Uncertain', '불확실') };
const CANNOT_ASSESS = { cannot_assess: L('Cannot assess', '판단 불가') };
const SIDES = { superior: L('Superior', '상측'), inferior: L('Inferior', '하측'), both: L('Superior and inferior', '상측 및 하측') };
const QUALITY_LABELS = { good: L('Good', '양호'), fair_gradable: L('Fair, gradable', '보통 (판독 가능)'), ungradable: L('Ungradable', '판독 불가') };
const IF_GRADABLE = 'fundusQuality in [0,1]';

const DEFAULT_FORM_INPUT: FormInput = {
  formId: 'knhanes-eye-default',
  formVersion: '1.0.0',
  eyes: ['OD', 'OS'],
  sections: [
    {
      key: 'quality', perEye: true, label: { en: 'Image quality', ko: '영상 품질' },
      questions: [
        {
          key: 'fundusQuality', type: 'single', required: true, label: { en: 'Fundus photograph quality', ko: '안저사진 품질' },
          options: [...GRADABLE_QUALITY, { code: 9, v: 'ungradable' }, { code: 8, v: 'not_acquired' }],
          optionLabels: { ...QUALITY_LABELS, not_acquired: L('Not acquired', '촬영 안 됨') },
          source: 'UK acceptance criteria (definition / field / fovea); NHANES quality scale',
        },
        {
          key: 'fundusUngradableReason', type: 'multi', visibleIf: 'fundusQuality == 9',
          label: { en: 'Why the photograph is ungradable', ko: '판독 불가 사유' },
          ...labelled({
            media_opacity: L('Media opacity', '중간투광체 혼탁'),
            small_pupil: L('Small pupil', '작은 동공'),
            defocus_blur: L('Out of focus (blur)', '초점 불량 (흐림)'),
            wrong_field_or_centration: L('Wrong field or centration', '촬영 범위 또는 중심 맞춤 오류'),
            lid_lash_artifact: L('Eyelid or eyelash artefact', '눈꺼풀 또는 속눈썹에 의한 인공음영'),
            exposure: L('Under- or overexposed', '노출 부족 또는 과다'),
            other: L('Other', '기타'),
          }),
        },
        {
          key: 'octQuality', type: 'single', visibleIf: 'octPresent', label: { en: 'OCT quality', ko: 'OCT 영상 품질' },
          options: [...GRADABLE_QUALITY, { code: 9, v: 'ungradable' }], optionLabels: QUALITY_LABELS,
        },
      ],
    },
    {
      key: 'dr', perEye: true, visibleIf: IF_GRADABLE, label: { en: 'Diabetic retinopathy', ko: '당뇨망막병증' },
      questions: [
        {
          key: 'icdrLevel', type: 'ordinal', required: true,
          label: { en: 'DR severity (International Clinical DR scale)', ko: '당뇨망막병증 중증도 (국제임상분류)' },
          ...codedLabelled({
            none: L('No apparent retinopathy', '뚜렷한 망막병증 없음'),
            mild_npdr: L('Mild non-proliferative DR (microaneurysms only)', '경도 비증식당뇨망막병증 (미세혈관류만)'),
            moderate_npdr: L('Moderate non-proliferative DR', '중등도 비증식당뇨망막병증'),
            severe_npdr: L('Severe non-proliferative DR', '고도 비증식당뇨망막병증'),
            pdr: L('Proliferative DR', '증식당뇨망막병증'),
          }),
          source: 'Wilkinson et al., Ophthalmology 2003',
        },
        {
          key: 'dme', type: 'single', required: true, label: { en: 'Diabetic macular oedema', ko: '당뇨황반부종' },
          ...labelled({ absent: L('Absent', '없음'), present: L('Present', '있음'), ...CANNOT_ASSESS }),
        },
        {
          key: 'dmeSeverity', type: 'ordinal', visibleIf: "dme == 'present'", label: { en: 'DME severity', ko: '당뇨황반부종 중증도' },
          options: [{ code: 1, v: 'mild' }, { code: 2, v: 'moderate' }, { code: 3, v: 'severe_centre' }],
          optionLabels: {
            mild: L('Mild (thickening or exudates distant from the centre)', '경도 (황반 중심에서 떨어진 비후 또는 경성삼출물)'),
            moderate: L('Moderate (approaching the centre)', '중등도 (황반 중심에 근접)'),
            severe_centre: L('Severe (involving the centre)', '고도 (황반 중심 침범)'),
          },
        },
        { key: 'centreInvolvingOnOct', type: 'bool', visibleIf: "octPresent && dme == 'present'", label: { en: 'Centre-involving on OCT', ko: 'OCT상 황반중심 침범' } },
        {
          key: 'laserScars', type: 'multi', label: { en: 'Laser scars', ko: '레이저 광응고 흔적' },
          ...labelled({ ...NONE, panretinal: L('Panretinal photocoagulation', '범망막광응고'), focal_grid: L('Focal or grid laser', '국소 또는 격자 레이저광응고') }),
        },
      ],
    },
    {
      key: 'amd', perEye: true, visibleIf: IF_GRADABLE, label: { en: 'Age-related macular degeneration', ko: '나이관련황반변성' },
      questions: [
        {
          key: 'beckmanClass', type: 'ordinal', required: true, label: { en: 'AMD stage (Beckman classification)', ko: '황반변성 단계 (Beckman 분류)' },
          ...codedLabelled({
            no_aging_changes: L('No apparent ageing changes', '뚜렷한 노화 변화 없음'),
            normal_aging_drupelets_lt63: L('Normal ageing changes (drupelets < 63 µm only)', '정상 노화 변화 (63 µm 미만 소드루젠만)'),
            early_medium_drusen_63_125: L('Early AMD (medium drusen 63–125 µm)', '초기 나이관련황반변성 (63–125 µm 중간 드루젠)'),
            intermediate_large_drusen_or_pigment: L('Intermediate AMD (large drusen or AMD pigmentary abnormality)', '중기 나이관련황반변성 (큰 드루젠 또는 색소 이상)'),
            late: L('Late AMD (neovascular AMD and/or geographic atrophy)', '후기 나이관련황반변성 (신생혈관 및/또는 지도모양위축)'),
          }),
          source: 'Ferris et al., Ophthalmology 2013',
        },
        {
          key: 'largestDrusen', type: 'ordinal', label: { en: 'Largest drusen', ko: '가장 큰 드루젠 크기' },
          ...codedLabelled({
            ...NONE,
            lt63: L('Small (< 63 µm)', '작은 드루젠 (63 µm 미만)'),
            '63_to_lt125': L('Medium (63 to < 125 µm)', '중간 드루젠 (63 µm 이상 125 µm 미만)'),
            ge125: L('Large (≥ 125 µm)', '큰 드루젠 (125 µm 이상)'),
          }),
        },
        {
          key: 'pigmentAbnormality', type: 'multi', label: { en: 'Pigmentary abnormality', ko: '색소 이상' },
          ...labelled({ ...NONE, hyperpigmentation: L('Hyperpigmentation', '과색소침착'), hypopigmentation: L('Hypopigmentation', '저색소침착') }),
        },
        {
          key: 'lateAmdType', type: 'multi', visibleIf: 'beckmanClass == 4', label: { en: 'Late AMD type', ko: '후기 황반변성 유형' },
          ...labelled({
            neovascular: L('Neovascular AMD', '신생혈관 나이관련황반변성'),
            geographic_atrophy_central: L('Geographic atrophy, centre-involving', '중심부 침범 지도모양위축'),
            geographic_atrophy_noncentral: L('Geographic atrophy, not centre-involving', '중심부 비침범 지도모양위축'),
          }),
        },
        {
          key: 'iarmClass', type: 'derived', label: { en: 'ARM class (international classification, derived)', ko: '나이관련황반병증 분류 (국제분류, 자동 산출)' },
          rule: 'early ARM / late ARM mapping for continuity with KNHANES 2008–12',
        },
      ],
    },
    {
      key: 'disc', perEye: true, visibleIf: IF_GRADABLE, label: { en: 'Optic disc and glaucoma', ko: '시신경유두 및 녹내장' },
      questions: [
        {
          key: 'vcdr', type: 'number', required: true, min: 0, max: 1, step: 0.05, allowUnable: true,
          label: { en: 'Vertical cup-to-disc ratio', ko: '수직 시신경유두함몰비' },
        },
        {
          key: 'rimNotch', type: 'single', label: { en: 'Neuroretinal rim notch', ko: '신경망막테 패임' },
          ...labelled({ ...NONE, ...SIDES, ...CANNOT_ASSESS }),
        },
        {
          key: 'discHaemorrhage', type: 'single', label: { en: 'Disc haemorrhage', ko: '시신경유두 출혈' },
          ...labelled({ no: L('No', '없음'), yes: L('Yes', '있음'), ...UNCERTAIN }),
        },
        {
          key: 'rnflDefect', type: 'single', label: { en: 'RNFL defect', ko: '망막신경섬유층 결손' },
          ...labelled({ ...NONE, ...SIDES, ...UNCERTAIN }),
        },
        {
          key: 'isntRule', type: 'single', label: { en: 'ISNT rule', ko: 'ISNT 법칙' },
          ...labelled({ obeyed: L('Obeyed', '준수'), violated: L('Violated', '위반'), ...CANNOT_ASSESS }),
        },
        {
          key: 'discSize', type: 'single', label: { en: 'Disc size', ko: '시신경유두 크기' },
          ...labelled({ small: L('Small', '작음'), average: L('Average', '보통'), large: L('Large', '큼') }),
        },
        {
          key: 'glaucomaLikelihood', type: 'ordinal', required: true, label: { en: 'Glaucoma likelihood', ko: '녹내장 가능성' },
          ...codedLabelled({
            no: L('No glaucoma', '녹내장 아님'),
            suspect: L('Glaucoma suspect', '녹내장 의심'),
            probable: L('Probable glaucoma', '녹내장 가능성 높음'),
            definite: L('Definite glaucoma', '녹내장 확실'),
          }),
        },
        {
          key: 'isgeoCategory', type: 'derived', label: { en: 'ISGEO category (derived)', ko: 'ISGEO 분류 (자동 산출)' },
          rule: 'computed per study from VCDR percentiles and context VA/IOP',
        },
      ],
    },
    {
      key: 'otherRetina', perEye: true, visibleIf: IF_GRADABLE, label: { en: 'Other retinal findings', ko: '기타 망막 소견' },
      questions: [
        {
          key: 'erm', type: 'single', label: { en: 'Epiretinal membrane', ko: '망막앞막' },
          ...labelled({
            ...NONE,
            cellophane_macular_reflex: L('Cellophane macular reflex', '셀로판황반반사'),
            preretinal_macular_fibrosis: L('Preretinal macular fibrosis', '망막앞황반섬유화'),
            ...UNCERTAIN,
          }),
        },
        {
          key: 'rvo', type: 'single', label: { en: 'Retinal vein occlusion', ko: '망막정맥폐쇄' },
          ...labelled({
            ...NONE,
            branch: L('Branch retinal vein occlusion', '망막분지정맥폐쇄'),
            hemi: L('Hemiretinal vein occlusion', '반측망막정맥폐쇄'),
            central: L('Central retinal vein occlusion', '망막중심정맥폐쇄'),
          }),
        },
        {
          key: 'otherFindings', type: 'multi', label: { en: 'Other findings', ko: '기타 소견' },
          ...labelled({
            macular_hole: L('Macular hole', '황반원공'),
            retinal_detachment: L('Retinal detachment', '망막박리'),
            myopic_maculopathy: L('Myopic maculopathy', '근시성 황반병증'),
            chorioretinal_scar: L('Chorioretinal scar', '맥락망막 반흔'),
            nevus: L('Choroidal naevus', '맥락막 모반'),
            hypertensive_changes: L('Hypertensive retinopathy changes', '고혈압망막병증 소견'),
            other: L('Other', '기타'),
          }),
        },
        { key: 'otherText', type: 'text', maxLength: 300, visibleIf: "otherFindings contains 'other'", label: { en: 'Other finding (describe)', ko: '기타 소견 (직접 기재)' } },
      ],
    },
    {
      key: 'oct', perEye: true, visibleIf: 'octPresent && octQuality in [0,1]', label: { en: 'OCT findings', ko: '빛간섭단층촬영(OCT) 소견' },
      questions: [
        { key: 'intraretinalFluid', type: 'bool', label: { en: 'Intraretinal fluid', ko: '망막내액' } },
        { key: 'subretinalFluid', type: 'bool', label: { en: 'Subretinal fluid', ko: '망막하액' } },
        {
          key: 'ped', type: 'single', label: { en: 'Pigment epithelial detachment', ko: '망막색소상피박리' },
          ...labelled({
            ...NONE,
            drusenoid: L('Drusenoid PED', '드루젠성 망막색소상피박리'),
            serous: L('Serous PED', '장액성 망막색소상피박리'),
            fibrovascular: L('Fibrovascular PED', '섬유혈관성 망막색소상피박리'),
          }),
        },
        { key: 'ermOnOct', type: 'bool', label: { en: 'Epiretinal membrane on OCT', ko: 'OCT상 망막앞막' } },
        { key: 'vitreomacularTraction', type: 'bool', label: { en: 'Vitreomacular traction', ko: '유리체황반견인' } },
        {
          key: 'completeRpeOuterRetinalAtrophy', type: 'bool',
          label: { en: 'Complete RPE and outer retinal atrophy (cRORA)', ko: '완전 망막색소상피 및 외망막 위축 (cRORA)' },
          source: 'CAM consensus, Sadda et al., Ophthalmology 2018',
        },
      ],
    },
    {
      key: 'summary', perEye: false, label: { en: 'Summary and referral', ko: '종합 판정 및 의뢰' },
      questions: [
        {
          key: 'referral', type: 'ordinal', required: true, label: { en: 'Referral', ko: '진료 의뢰' },
          ...codedLabelled({
            none: L('No referral needed', '의뢰 불필요'),
            routine_12m: L('Routine (within 12 months)', '일반 의뢰 (12개월 이내)'),
            soon_3m: L('Soon (within 3 months)', '조기 의뢰 (3개월 이내)'),
            urgent: L('Urgent', '긴급 의뢰'),
          }),
        },
        {
          key: 'confidence', type: 'ordinal', severity: 'none', label: { en: 'Confidence in this grading', ko: '판독 확신도' },
          options: [1, 2, 3, 4, 5],
          // 1 is the lowest confidence: the sketch's scale is ascending and sets no anchors of its own.
          optionLabels: {
            1: L('1 – very low', '1 – 매우 낮음'),
            2: L('2 – low', '2 – 낮음'),
            3: L('3 – moderate', '3 – 보통'),
            4: L('4 – high', '4 – 높음'),
            5: L('5 – very high', '5 – 매우 높음'),
          },
        },
        { key: 'comment', type: 'text', maxLength: 500, label: { en: 'Comment', ko: '의견' } },
      ],
    },
  ],
};

/** Rules D1–D6 of reading.md section (c). */
const DEFAULT_RULES_INPUT: z.input<typeof DiscordanceRulesSchema> = [
  { id: 'D1', kind: 'gradability', question: 'fundusQuality', ungradableCodes: [8, 9] },
  { id: 'D2', kind: 'ordinalThreshold', question: 'icdrLevel', threshold: 2, maxStepDiff: 1, qaSampleShare: 0.1 },
  { id: 'D2', kind: 'classGroups', question: 'dme', groups: [['present'], ['absent', 'cannot_assess']] },
  { id: 'D3', kind: 'classGroups', question: 'beckmanClass', groups: [[0, 1, 2], [3], [4]] },
  { id: 'D3', kind: 'anyDifference', question: 'lateAmdType' },
  { id: 'D4', kind: 'ordinalThreshold', question: 'glaucomaLikelihood', threshold: 1 },
  { id: 'D4', kind: 'numberDelta', question: 'vcdr', delta: 0.2 },
  { id: 'D5', kind: 'valueTriggersReview', question: 'referral', value: 'urgent' },
  { id: 'D6', kind: 'answerTriggersReview', question: 'otherText' },
  // "Other" ticked without a description is still an unreviewed finding (README: Rules D1–D6: decisions).
  { id: 'D6', kind: 'valueTriggersReview', question: 'otherFindings', value: 'other', priority: 'low' },
];

// ---------------------------------------------------------------------------------------------
// Rules against the form they run on.

function questionIndex(form: Form): Map<string, Question> {
  return new Map(form.sections.flatMap((s) => s.questions.map((q) => [q.key, q] as const)));
}

function ruleProblem(r: DiscordanceRule, q: Question): { path: Path; message: string } | undefined {
  const codes = isCoded(q) ? optionEntries(q).map((o) => o.code as number) : undefined;
  const need = (ok: boolean, message: string, path: Path = ['question']) => (ok ? undefined : { path, message });
  switch (r.kind) {
    case 'gradability':
      return (
        need(codes !== undefined && q.type !== 'multi', `'${q.key}' must be a coded single or ordinal question`) ??
        need(r.ungradableCodes.every((c) => codes!.includes(c)), `must be codes of '${q.key}' (${codes!.join(', ')})`, ['ungradableCodes'])
      );
    case 'ordinalThreshold':
      return (
        need(q.type === 'ordinal' && codes !== undefined, `'${q.key}' must be an ordinal question with coded options`) ??
        need(codes!.includes(r.threshold), `must be a code of '${q.key}' (${codes!.join(', ')})`, ['threshold'])
      );
    case 'anyDifference':
      return need(q.type !== 'text' && q.type !== 'derived', `'${q.key}' is ${q.type}; free text and derived items cannot be compared`);
    case 'classGroups': {
      if (!isChoice(q) || q.type === 'multi') return need(false, `'${q.key}' must be a single or ordinal question`);
      const all = optionEntries(q).map(conditionValue);
      const listed = r.groups.flat();
      const exact = listed.length === all.length && new Set(listed).size === all.length && listed.every((v) => all.includes(v));
      return need(exact, `groups must list every option of '${q.key}' exactly once (${all.join(', ')})`, ['groups']);
    }
    case 'numberDelta':
      return need(q.type === 'number', `'${q.key}' must be a number question`);
    case 'valueTriggersReview': {
      const allowed: unknown[] = q.type === 'bool' ? [true, false] : isChoice(q) ? optionEntries(q).map((o) => o.value) : [];
      return need(allowed.includes(r.value), `must be an answer value of '${q.key}' (${allowed.join(', ') || 'a choice or bool question'})`, ['value']);
    }
    case 'answerTriggersReview':
      return need(q.type !== 'derived', `'${q.key}' is derived and never answered`);
  }
}

function refineReading(config: { form: Form; discordanceRules: DiscordanceRule[] }, ctx: Ctx): void {
  const questions = questionIndex(config.form);
  config.discordanceRules.forEach((r, i) => {
    const q = questions.get(r.question);
    const problem = q ? ruleProblem(r, q) : { path: ['question'], message: `'${r.question}' is not a question of form '${config.form.formId}'` };
    if (problem) issue(ctx, ['discordanceRules', i, ...problem.path], problem.message);
  });
}

export const ReadingConfigSchema = z
  .strictObject({
    form: FormSchema.prefault(DEFAULT_FORM_INPUT),
    discordanceRules: DiscordanceRulesSchema.prefault(DEFAULT_RULES_INPUT),
    assignment: AssignmentSettingsSchema.prefault({}),
  })
  .superRefine(refineReading);
export type ReadingConfig = z.infer<typeof ReadingConfigSchema>;
export type ReadingConfigInput = z.input<typeof ReadingConfigSchema>;

export const DEFAULT_FORM: Form = FormSchema.parse(DEFAULT_FORM_INPUT);
export const DEFAULT_DISCORDANCE_RULES: DiscordanceRule[] = DiscordanceRulesSchema.parse(DEFAULT_RULES_INPUT);
