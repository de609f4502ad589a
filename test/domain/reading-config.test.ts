import { DEFAULT_DISCORDANCE_RULES, DEFAULT_FORM, ReadingConfigSchema, type ReadingConfigInput } from '../../domain/reading-config';
import { FormSchema, optionEntries, type ChoiceQuestion, type FormInput } from '../../domain/form/schema';

/** A small valid form to break one field at a time. */
function smallForm(): FormInput {
  return {
    formId: 'small',
    formVersion: '1.2.3',
    eyes: ['OD', 'OS'],
    sections: [
      {
        key: 'quality',
        perEye: true,
        questions: [{ key: 'quality', type: 'single', required: true, options: [{ code: 0, v: 'good' }, { code: 9, v: 'ungradable' }] }],
      },
      {
        key: 'grading',
        perEye: true,
        visibleIf: 'quality == 0',
        questions: [
          { key: 'level', type: 'ordinal', options: [{ code: 0, v: 'none' }, { code: 1, v: 'mild' }, { code: 2, v: 'severe' }] },
          { key: 'findings', type: 'multi', options: ['a', 'other'] },
          { key: 'note', type: 'text', visibleIf: "findings contains 'other'" },
          { key: 'size', type: 'number', min: 0, max: 1, step: 0.1 },
        ],
      },
      { key: 'summary', perEye: false, questions: [{ key: 'refer', type: 'bool' }] },
    ],
  };
}

type Mutate = (f: FormInput & { sections: any[] }) => void;

function issuesOf(mutate: Mutate) {
  const form = smallForm() as FormInput & { sections: any[] };
  mutate(form);
  const result = FormSchema.safeParse(form);
  return result.success ? [] : result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
}

describe('ReadingConfigSchema', () => {
  it('defaults to the proposed form, rules D1–D6 and the assignment defaults', () => {
    const config = ReadingConfigSchema.parse({});
    expect(config.form).toEqual(DEFAULT_FORM);
    expect(config.discordanceRules).toEqual(DEFAULT_DISCORDANCE_RULES);
    expect(config.assignment).toEqual({ readsPerCase: 2, maxOpenPerReader: 10, hiddenRepeatShare: 0.05, hiddenRepeatMinDays: 14 });
    expect(new Set(config.discordanceRules.map((r) => r.id))).toEqual(new Set(['D1', 'D2', 'D3', 'D4', 'D5', 'D6']));
  });

  it('returns a fresh default each time (no shared mutable state)', () => {
    expect(ReadingConfigSchema.parse({}).form).not.toBe(ReadingConfigSchema.parse({}).form);
  });

  it('labels every default section and question in English and Korean', () => {
    const items = DEFAULT_FORM.sections.flatMap((s) => [s, ...s.questions]);
    for (const item of items) {
      expect(item.label?.en).toBeTruthy();
      expect(item.label?.ko).toMatch(/[\uAC00-\uD7A3]/);
    }
  });

  it("marks the default form's confidence rating as having no severity end (D2 must not merge it)", () => {
    const questions = DEFAULT_FORM.sections.flatMap((s) => s.questions);
    expect(questions.find((q) => q.key === 'confidence')).toMatchObject({ severity: 'none' });
    expect(questions.filter((q) => 'severity' in q && q.severity !== 'higher').map((q) => q.key)).toEqual(['confidence']);
  });

  const choiceQuestions = () => DEFAULT_FORM.sections.flatMap((s) => s.questions).filter((q): q is ChoiceQuestion => 'options' in q);

  it('labels every option of the default form in English and Korean', () => {
    const entries = choiceQuestions().flatMap((q) => optionEntries(q).map((o) => ({ at: `${q.key}.${o.value}`, ...o })));
    expect(entries.length).toBeGreaterThan(90);
    for (const { at, label } of entries) {
      expect({ at, en: label?.en.trim() }).toEqual({ at, en: expect.stringMatching(/^[^\uAC00-\uD7A3]+$/) });
      expect({ at, ko: label?.ko.trim() }).toEqual({ at, ko: expect.stringMatching(/[\uAC00-\uD7A3]/) });
    }
  });

  it('keeps the stored option values and codes of the default form as they were before labels', () => {
    // Pinned from the form before option labels existed: value=code, or the value when uncoded.
    const shown = (q: ChoiceQuestion) => optionEntries(q).map((o) => (o.code === undefined || o.code === o.value ? String(o.value) : `${o.value}=${o.code}`)).join(' ');
    expect(Object.fromEntries(choiceQuestions().map((q) => [q.key, shown(q)]))).toEqual({
      fundusQuality: 'good=0 fair_gradable=1 ungradable=9 not_acquired=8',
      fundusUngradableReason: 'media_opacity small_pupil defocus_blur wrong_field_or_centration lid_lash_artifact exposure other',
      octQuality: 'good=0 fair_gradable=1 ungradable=9',
      icdrLevel: 'none=0 mild_npdr=1 moderate_npdr=2 severe_npdr=3 pdr=4',
      dme: 'absent present cannot_assess',
      dmeSeverity: 'mild=1 moderate=2 severe_centre=3',
      laserScars: 'none panretinal focal_grid',
      beckmanClass: 'no_aging_changes=0 normal_aging_drupelets_lt63=1 early_medium_drusen_63_125=2 intermediate_large_drusen_or_pigment=3 late=4',
      largestDrusen: 'none=0 lt63=1 63_to_lt125=2 ge125=3',
      pigmentAbnormality: 'none hyperpigmentation hypopigmentation',
      lateAmdType: 'neovascular geographic_atrophy_central geographic_atrophy_noncentral',
      rimNotch: 'none superior inferior both cannot_assess',
      discHaemorrhage: 'no yes uncertain',
      rnflDefect: 'none superior inferior both uncertain',
      isntRule: 'obeyed violated cannot_assess',
      discSize: 'small average large',
      glaucomaLikelihood: 'no=0 suspect=1 probable=2 definite=3',
      erm: 'none cellophane_macular_reflex preretinal_macular_fibrosis uncertain',
      rvo: 'none branch hemi central',
      otherFindings: 'macular_hole retinal_detachment myopic_maculopathy chorioretinal_scar nevus hypertensive_changes other',
      ped: 'none drusenoid serous fibrovascular',
      referral: 'none=0 routine_12m=1 soon_3m=2 urgent=3',
      confidence: '1 2 3 4 5',
    });
    // Numeric options stay numbers (a label must not turn the stored 3 into "3").
    expect(optionEntries(choiceQuestions().find((q) => q.key === 'confidence')!).map((o) => o.value)).toEqual([1, 2, 3, 4, 5]);
  });

  it('codes every ordinal option of the default form', () => {
    const ordinals = DEFAULT_FORM.sections.flatMap((s) => s.questions).filter((q) => q.type === 'ordinal');
    for (const q of ordinals) for (const o of (q as { options: unknown[] }).options) expect(typeof o === 'number' || typeof o === 'object').toBe(true);
  });

  it.each<[string, ReadingConfigInput, string, RegExp]>([
    ['readsPerCase above 5', { assignment: { readsPerCase: 6 } }, 'assignment.readsPerCase', /5/],
    ['hiddenRepeatShare above 0.2', { assignment: { hiddenRepeatShare: 0.3 } }, 'assignment.hiddenRepeatShare', /0.2/],
    ['unknown assignment field', { assignment: { readPerCase: 2 } as never }, 'assignment', /readPerCase/],
    ['rule on an unknown question', { discordanceRules: [{ id: 'X', kind: 'anyDifference', question: 'nope' }] }, 'discordanceRules.0.question', /not a question/],
    ['threshold rule on a nominal question', { discordanceRules: [{ id: 'X', kind: 'ordinalThreshold', question: 'dme', threshold: 1 }] }, 'discordanceRules.0.question', /ordinal/],
    ['threshold that is not a code', { discordanceRules: [{ id: 'X', kind: 'ordinalThreshold', question: 'icdrLevel', threshold: 7 }] }, 'discordanceRules.0.threshold', /code/],
    ['gradability code not in the options', { discordanceRules: [{ id: 'X', kind: 'gradability', question: 'fundusQuality', ungradableCodes: [5] }] }, 'discordanceRules.0.ungradableCodes', /codes/],
    ['groups that miss an option', { discordanceRules: [{ id: 'X', kind: 'classGroups', question: 'beckmanClass', groups: [[0, 1], [3], [4]] }] }, 'discordanceRules.0.groups', /exactly once/],
    ['numberDelta on a choice', { discordanceRules: [{ id: 'X', kind: 'numberDelta', question: 'icdrLevel', delta: 1 }] }, 'discordanceRules.0.question', /number/],
    ['review value that is no option', { discordanceRules: [{ id: 'X', kind: 'valueTriggersReview', question: 'referral', value: 'asap' }] }, 'discordanceRules.0.value', /answer value/],
    ['anyDifference on free text', { discordanceRules: [{ id: 'X', kind: 'anyDifference', question: 'comment' }] }, 'discordanceRules.0.question', /free text/],
    ['default rules on a form without their questions', { form: smallForm() }, 'discordanceRules.0.question', /fundusQuality/],
  ])('rejects %s, naming the path', (_name, input, path, message) => {
    const result = ReadingConfigSchema.safeParse(input);
    expect(result.success).toBe(false);
    const issue = result.error!.issues.find((i) => i.path.join('.') === path);
    expect(issue?.message).toMatch(message);
  });

  it('accepts a custom form with its own rules', () => {
    const result = ReadingConfigSchema.safeParse({
      form: smallForm(),
      discordanceRules: [
        { id: 'G', kind: 'gradability', question: 'quality', ungradableCodes: [9] },
        { id: 'L', kind: 'ordinalThreshold', question: 'level', threshold: 2, maxStepDiff: 1 },
        { id: 'S', kind: 'numberDelta', question: 'size', delta: 0.3 },
        { id: 'R', kind: 'valueTriggersReview', question: 'refer', value: true },
        { id: 'N', kind: 'answerTriggersReview', question: 'note' },
      ],
    });
    expect(result.success).toBe(true);
    expect(result.data!.discordanceRules.map((r) => r.priority)).toEqual(['normal', 'normal', 'normal', 'safety', 'low']);
  });
});

describe('FormSchema cross-field validation', () => {
  it('accepts the small form', () => {
    expect(issuesOf(() => {})).toEqual([]);
  });

  it.each<[string, Mutate, string, RegExp]>([
    ['a duplicate question key', (f) => (f.sections[1].questions[1].key = 'level'), 'sections.1.questions.1.key', /duplicate question key 'level'/],
    ['a duplicate section key', (f) => (f.sections[2].key = 'grading'), 'sections.2.key', /duplicate section key/],
    ['a duplicate eye', (f) => (f.eyes = ['OD', 'OD']), 'eyes.1', /duplicate eye/],
    ['a question keyed like a case fact', (f) => (f.sections[2].questions[0].key = 'octPresent'), 'sections.2.questions.0.key', /reserved/],
    ['a key that is not camelCase', (f) => (f.sections[2].questions[0].key = '__proto__'), 'sections.2.questions.0.key', /camelCase/],
    ['uncoded ordinal options', (f) => (f.sections[1].questions[0].options = ['none', 'mild']), 'sections.1.questions.0.options', /ordinal options must be numbers or \{code, v\}/],
    ['mixed option kinds', (f) => (f.sections[1].questions[1].options = ['a', { code: 1, v: 'b' }]), 'sections.1.questions.1.options', /all strings/],
    ['repeated option values', (f) => (f.sections[1].questions[1].options = ['a', 'a']), 'sections.1.questions.1.options.1', /duplicate option/],
    ['repeated codes', (f) => (f.sections[1].questions[0].options = [{ code: 0, v: 'x' }, { code: 0, v: 'y' }]), 'sections.1.questions.0.options.1', /duplicate code/],
    ['min not below max', (f) => Object.assign(f.sections[1].questions[3], { min: 1, max: 1 }), 'sections.1.questions.3.max', /greater than min/],
    ['a visibleIf that does not parse', (f) => (f.sections[1].visibleIf = 'quality =='), 'sections.1.visibleIf', /visibleIf "quality ==".*position 10/],
    ['a visibleIf naming an unknown question', (f) => (f.sections[1].visibleIf = 'qualty == 0'), 'sections.1.visibleIf', /'qualty' is neither a case fact/],
    ['a visibleIf naming a later question', (f) => (f.sections[1].questions[0].visibleIf = 'size > 0.5'), 'sections.1.questions.0.visibleIf', /earlier in the form/],
    ['a visibleIf naming itself', (f) => (f.sections[1].questions[0].visibleIf = "level == 'x'"), 'sections.1.questions.0.visibleIf', /earlier in the form/],
    ['a code that the question does not have', (f) => (f.sections[1].visibleIf = 'quality == 5'), 'sections.1.visibleIf', /5 is not a code of 'quality'/],
    ['a value where codes are expected', (f) => (f.sections[1].visibleIf = "quality == 'good'"), 'sections.1.visibleIf', /"good" is not a code/],
    ['contains on a single choice', (f) => (f.sections[1].visibleIf = 'quality contains 0'), 'sections.1.visibleIf', /only to multi-choice/],
    ['== on a multi choice', (f) => (f.sections[1].questions[2].visibleIf = "findings == 'other'"), 'sections.1.questions.2.visibleIf', /use contains/],
    ['a bare non-boolean', (f) => (f.sections[1].visibleIf = 'quality'), 'sections.1.visibleIf', /not boolean/],
    ['a participant item depending on an eye', (f) => (f.sections[2].visibleIf = 'quality == 0'), 'sections.2.visibleIf', /per-eye question/],
    ['an unknown field (typo)', (f) => (f.sections[0].questions[0].visibleif = 'x'), 'sections.0.questions.0', /visibleif/],
    ['a bad version', (f) => (f.formVersion = '1.0'), 'formVersion', /semantic version/],
    ['an option label without ko', (f) => (f.sections[1].questions[1].optionLabels = { a: { en: 'A', ko: '가' }, other: { en: 'Other' } }), 'sections.1.questions.1.optionLabels.other.ko', /required: a label needs both en and ko/],
    ['an empty option label', (f) => (f.sections[1].questions[1].optionLabels = { a: { en: 'A', ko: '' }, other: { en: 'Other', ko: '기타' } }), 'sections.1.questions.1.optionLabels.a.ko', /too small/i],
    ['a question label without ko', (f) => (f.sections[2].questions[0].label = { en: 'Refer' }), 'sections.2.questions.0.label.ko', /both en and ko/],
    ['option labels for only some options', (f) => (f.sections[1].questions[1].optionLabels = { a: { en: 'A', ko: '가' } }), 'sections.1.questions.1.optionLabels.other', /every option needs/],
    ['an option label for a value that is no option', (f) => (f.sections[1].questions[1].optionLabels = { a: { en: 'A', ko: '가' }, other: { en: 'O', ko: '기타' }, b: { en: 'B', ko: '나' } }), 'sections.1.questions.1.optionLabels.b', /'b' is not an option value \(options: a, other\)/],
    ['option labels on a number question', (f) => (f.sections[1].questions[3].optionLabels = {}), 'sections.1.questions.3', /optionLabels/],
    ['an unknown severity direction', (f) => (f.sections[1].questions[0].severity = 'worse'), 'sections.1.questions.0.severity', /higher.*lower.*none/],
    ['a severity on a nominal question', (f) => (f.sections[1].questions[1].severity = 'higher'), 'sections.1.questions.1', /severity/],
  ])('rejects %s', (_name, mutate, path, message) => {
    const issue = issuesOf(mutate).find((i) => i.path === path);
    expect(issue?.message).toMatch(message);
  });

  it('accepts option labels keyed by value, numbers by their decimal string, and serves them with the options', () => {
    const form = smallForm() as FormInput & { sections: any[] };
    form.sections[1].questions[0].optionLabels = { none: { en: 'None', ko: '없음' }, mild: { en: 'Mild', ko: '경도' }, severe: { en: 'Severe', ko: '고도' } };
    form.sections[2].questions.push({ key: 'sure', type: 'ordinal', options: [1, 2], optionLabels: { 1: { en: 'Low', ko: '낮음' }, 2: { en: 'High', ko: '높음' } } });
    const parsed = FormSchema.parse(form);
    const level = parsed.sections[1].questions[0] as ChoiceQuestion;
    expect(optionEntries(level)[1]).toEqual({ value: 'mild', code: 1, label: { en: 'Mild', ko: '경도' } });
    expect(optionEntries(parsed.sections[2].questions[1] as ChoiceQuestion)).toEqual([
      { value: 1, code: 1, label: { en: 'Low', ko: '낮음' } },
      { value: 2, code: 2, label: { en: 'High', ko: '높음' } },
    ]);
    // Unlabelled custom forms stay valid and serve no labels.
    expect(optionEntries(FormSchema.parse(smallForm()).sections[1].questions[1] as ChoiceQuestion)).toEqual([
      { value: 'a', code: undefined },
      { value: 'other', code: undefined },
    ]);
  });

  it('accepts facts and booleans in visibleIf', () => {
    expect(issuesOf((f) => (f.sections[1].visibleIf = 'octPresent && quality in [0]'))).toEqual([]);
    expect(issuesOf((f) => f.sections[2].questions.push({ key: 'why', type: 'text', visibleIf: 'refer == true' }))).toEqual([]);
  });
});
