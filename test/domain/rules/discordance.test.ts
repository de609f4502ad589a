import { DEFAULT_DISCORDANCE_RULES } from '../../../domain/reading-config';
import { concordantFinal, evaluateDiscordance, needsQaSample, singleReadFinal } from '../../../domain/rules/discordance';
import { validateAnswers } from '../../../domain/form/validator';
import { type NormalisedAnswers } from '../../../domain/answers';
import { FACTS, FORM, read } from '../fixtures';

const RULES = DEFAULT_DISCORDANCE_RULES;
const evaluate = (a: NormalisedAnswers, b: NormalisedAnswers) => evaluateDiscordance(FORM, RULES, a, b);
/** Reasons as 'rule question eye' strings. */
const reasonsOf = (a: NormalisedAnswers, b: NormalisedAnswers) => evaluate(a, b).reasons.map((r) => [r.rule, r.question, r.eye].filter(Boolean).join(' '));

const UNGRADABLE = { fundusQuality: 'ungradable', icdrLevel: undefined, dme: undefined, beckmanClass: undefined, vcdr: undefined, glaucomaLikelihood: undefined };
const NOT_ACQUIRED = { ...UNGRADABLE, fundusQuality: 'not_acquired' };

describe('evaluateDiscordance: default rules D1–D6', () => {
  it('identical reads are concordant', () => {
    expect(evaluate(read(), read())).toEqual({ discordant: false, reasons: [], priority: 'normal' });
  });

  it.each<[string, Record<string, unknown>, Record<string, unknown>, string[]]>([
    // D1 gradability
    ['D1: gradable vs ungradable', {}, UNGRADABLE, ['D1 fundusQuality OD']],
    ['D1: gradable vs not acquired', {}, NOT_ACQUIRED, ['D1 fundusQuality OD']],
    ['D1: ungradable vs not acquired are both not gradable', UNGRADABLE, NOT_ACQUIRED, []],
    ['D1: good vs fair are both gradable', {}, { fundusQuality: 'fair_gradable' }, []],
    // D2 DR: threshold at moderate NPDR (code 2), ≥2 steps, DME presence
    ['D2: none vs mild (1 step below threshold)', { icdrLevel: 'none' }, { icdrLevel: 'mild_npdr' }, []],
    ['D2: mild vs moderate crosses the threshold', { icdrLevel: 'mild_npdr' }, { icdrLevel: 'moderate_npdr' }, ['D2 icdrLevel OD']],
    ['D2: none vs moderate crosses the threshold', { icdrLevel: 'none' }, { icdrLevel: 'moderate_npdr' }, ['D2 icdrLevel OD']],
    ['D2: moderate vs severe (1 step, both referable)', { icdrLevel: 'moderate_npdr' }, { icdrLevel: 'severe_npdr' }, []],
    ['D2: moderate vs PDR is 2 steps', { icdrLevel: 'moderate_npdr' }, { icdrLevel: 'pdr' }, ['D2 icdrLevel OD']],
    ['D2: DME absent vs present', { dme: 'absent' }, { dme: 'present' }, ['D2 dme OD']],
    ['D2: DME cannot assess vs present', { dme: 'cannot_assess' }, { dme: 'present', dmeSeverity: 'mild' }, ['D2 dme OD']],
    ['D2: DME absent vs cannot assess (presence does not differ)', { dme: 'absent' }, { dme: 'cannot_assess' }, []],
    // D3 AMD: {≤ early}, {intermediate}, {late}, late type
    ['D3: none vs early are one class', { beckmanClass: 'no_aging_changes' }, { beckmanClass: 'early_medium_drusen_63_125' }, []],
    ['D3: early vs intermediate', { beckmanClass: 'early_medium_drusen_63_125' }, { beckmanClass: 'intermediate_large_drusen_or_pigment' }, ['D3 beckmanClass OD']],
    ['D3: intermediate vs late', { beckmanClass: 'intermediate_large_drusen_or_pigment' }, { beckmanClass: 'late' }, ['D3 beckmanClass OD']],
    ['D3: late, type differs', { beckmanClass: 'late', lateAmdType: ['neovascular'] }, { beckmanClass: 'late', lateAmdType: ['neovascular', 'geographic_atrophy_central'] }, ['D3 lateAmdType OD']],
    ['D3: late, same type in another order', { beckmanClass: 'late', lateAmdType: ['geographic_atrophy_central', 'neovascular'] }, { beckmanClass: 'late', lateAmdType: ['neovascular', 'geographic_atrophy_central'] }, []],
    // D4 glaucoma: ≥ suspect vs no; |ΔVCDR| ≥ 0.2
    ['D4: no vs suspect', { glaucomaLikelihood: 'no' }, { glaucomaLikelihood: 'suspect' }, ['D4 glaucomaLikelihood OD']],
    ['D4: suspect vs definite', { glaucomaLikelihood: 'suspect' }, { glaucomaLikelihood: 'definite' }, []],
    ['D4: VCDR 0.3 vs 0.5 (exactly 0.2)', { vcdr: 0.3 }, { vcdr: 0.5 }, ['D4 vcdr OD']],
    ['D4: VCDR 0.5 vs 0.7 (0.19999999999999996 in floating point)', { vcdr: 0.5 }, { vcdr: 0.7 }, ['D4 vcdr OD']],
    ['D4: VCDR 0.3 vs 0.45', { vcdr: 0.3 }, { vcdr: 0.45 }, []],
    ['D4: VCDR unable vs measured', { vcdr: 'unable' }, { vcdr: 0.4 }, ['D4 vcdr OD']],
    ['D4: VCDR unable in both', { vcdr: 'unable' }, { vcdr: 'unable' }, []],
  ])('%s', (_name, a, b, expected) => {
    expect(reasonsOf(read(a), read(b))).toEqual(expected);
  });

  it('D1 on an ungradable eye does not also fire the grading rules of that eye', () => {
    expect(reasonsOf(read({ icdrLevel: 'pdr', glaucomaLikelihood: 'definite' }), read(UNGRADABLE))).toEqual(['D1 fundusQuality OD']);
  });

  it('reports each eye separately', () => {
    expect(reasonsOf(read({ icdrLevel: 'pdr' }, { dme: 'present' }), read({}, {}))).toEqual(['D2 icdrLevel OD', 'D2 dme OS']);
  });

  it('D5: any urgent referral goes to senior review with safety priority, even when concordant', () => {
    const urgent = read({}, {}, { referral: 'urgent' });
    expect(evaluate(urgent, urgent)).toMatchObject({ discordant: true, priority: 'safety', reasons: [{ rule: 'D5', question: 'referral' }] });
    expect(evaluate(read(), urgent).reasons[0]).not.toHaveProperty('eye');
    expect(evaluate(read({}, {}, { referral: 'soon_3m' }), read()).discordant).toBe(false);
  });

  it('D6: a free-text "other" finding goes to the senior queue with low priority', () => {
    const other = read({ otherFindings: ['other'], otherText: 'choroidal nevus' });
    expect(evaluate(other, read())).toMatchObject({
      discordant: true,
      priority: 'low',
      reasons: [
        { rule: 'D6', question: 'otherText', eye: 'OD' },
        { rule: 'D6', question: 'otherFindings', eye: 'OD' },
      ],
    });
  });

  it('priority is the most urgent of the rules that fired', () => {
    const other = { otherFindings: ['other'], otherText: 'x' };
    expect(evaluate(read({ ...other, icdrLevel: 'pdr' }), read()).priority).toBe('normal');
    expect(evaluate(read(other, {}, { referral: 'urgent' }), read({ icdrLevel: 'pdr' })).priority).toBe('safety');
  });

  it('details say what differed', () => {
    const [reason] = evaluate(read({ icdrLevel: 'mild_npdr' }), read({ icdrLevel: 'moderate_npdr' })).reasons;
    expect(reason.detail).toBe('on different sides of the threshold (code ≥ 2): read A "mild_npdr", read B "moderate_npdr"');
  });

  it('runs any configured rule set', () => {
    const rules = [{ id: 'X', kind: 'anyDifference' as const, question: 'rimNotch', priority: 'normal' as const }];
    expect(evaluateDiscordance(FORM, rules, read({ rimNotch: 'none' }), read()).reasons).toMatchObject([{ rule: 'X', detail: 'answers differ: read A "none", read B (no answer)' }]);
  });
});

/**
 * Where reading.md is silent, ReadRoom decides; each decision is written next to the rule in the
 * README ("Rules D1–D6: decisions") and pinned here.
 */
describe('Rules D1–D6: decisions', () => {
  const LATE_NV = { beckmanClass: 'late', lateAmdType: ['neovascular'] };

  it.each([
    ['ungradable', UNGRADABLE],
    ['not acquired', NOT_ACQUIRED],
  ])('D1 scope: on an eye one read calls %s, only D1 fires there (not D3 on the other read\'s late-AMD type)', (_name, notGradable) => {
    expect(reasonsOf(read(LATE_NV), read(notGradable))).toEqual(['D1 fundusQuality OD']);
    expect(reasonsOf(read(notGradable), read(LATE_NV))).toEqual(['D1 fundusQuality OD']);
  });

  it('D1 scope: the other eye, and review triggers on the ungradable eye, still count', () => {
    expect(reasonsOf(read(LATE_NV, { icdrLevel: 'pdr' }), read(UNGRADABLE))).toEqual(['D1 fundusQuality OD', 'D2 icdrLevel OS']);
    const other = read({ otherFindings: ['other'], otherText: 'retinal haemorrhage' });
    expect(reasonsOf(other, read(UNGRADABLE))).toEqual(['D1 fundusQuality OD', 'D6 otherText OD', 'D6 otherFindings OD']);
  });

  it('DME present vs cannot_assess is D2 (presence differs); absent vs cannot_assess is not, and the final leaves DME out', () => {
    expect(reasonsOf(read({ dme: 'present', dmeSeverity: 'mild' }), read({ dme: 'cannot_assess' }))).toEqual(['D2 dme OD']);
    expect(reasonsOf(read({ dme: 'absent' }), read({ dme: 'cannot_assess' }))).toEqual([]);
    const final = concordantFinal(FORM, read({ dme: 'absent' }), read({ dme: 'cannot_assess' }), FACTS);
    expect(final.value.eyes.OD).not.toHaveProperty('dme');
    expect(final.notes).toContainEqual(expect.objectContaining({ question: 'dme', eye: 'OD', kind: 'unresolved' }));
  });

  it("VCDR 'unable' vs a number is D4 (only one read could measure the disc); 'unable' in both is not", () => {
    expect(reasonsOf(read({ vcdr: 'unable' }), read({ vcdr: 0.3 }))).toEqual(['D4 vcdr OD']);
    expect(reasonsOf(read({ vcdr: 'unable' }), read({ vcdr: 'unable' }))).toEqual([]);
  });

  it('both late AMD, only one gives the type: D3 on the type', () => {
    expect(reasonsOf(read(LATE_NV), read({ beckmanClass: 'late' }))).toEqual(['D3 lateAmdType OD']);
  });

  it('"other" ticked with no text: D6 at low priority all the same', () => {
    const result = evaluate(read({ otherFindings: ['other'] }), read());
    expect(result).toMatchObject({ discordant: true, priority: 'low', reasons: [{ rule: 'D6', question: 'otherFindings', eye: 'OD' }] });
    expect(result.reasons).toHaveLength(1);
  });

  it.each([
    ['moderate_npdr', 'severe_npdr'],
    ['severe_npdr', 'pdr'],
  ])('a one-step DR difference above the threshold (%s vs %s) is accepted: the more severe is kept and it is in the QA sample pool', (lower, higher) => {
    expect(reasonsOf(read({ icdrLevel: lower }), read({ icdrLevel: higher }))).toEqual([]);
    const final = concordantFinal(FORM, read({ icdrLevel: lower }), read({ icdrLevel: higher }), FACTS);
    expect(final.value.eyes.OD?.icdrLevel).toBe(higher);
    const ids = Array.from({ length: 400 }, (_, i) => `case-${i}`);
    expect(ids.some((id) => needsQaSample(RULES, final, id))).toBe(true);
  });
});

describe('concordantFinal', () => {
  it('keeps identical answers and takes the more severe of a 1-step difference below the threshold', () => {
    const final = concordantFinal(FORM, read({ icdrLevel: 'mild_npdr' }), read({ icdrLevel: 'none' }), FACTS);
    expect(final.provenance).toBe('concordant');
    expect(final.value).toEqual(read({ icdrLevel: 'mild_npdr' }));
    expect(final.notes).toEqual([{ question: 'icdrLevel', eye: 'OD', kind: 'moreSevere', detail: 'kept the more severe "mild_npdr": read A "mild_npdr", read B "none"' }]);
  });

  it('takes the larger VCDR within the allowed delta, and true for a finding one read saw', () => {
    const final = concordantFinal(FORM, read({ vcdr: 0.3, intraretinalFluid: false }), read({ vcdr: 0.4, intraretinalFluid: true }), FACTS);
    expect(final.value.eyes.OD).toMatchObject({ vcdr: 0.4, intraretinalFluid: true });
    expect(final.notes.map((n) => `${n.question}:${n.kind}`)).toEqual(['vcdr:moreSevere', 'intraretinalFluid:moreSevere']);
  });

  it('leaves out differing nominal answers, and whatever they made visible', () => {
    const final = concordantFinal(FORM, read({ otherFindings: ['other'], otherText: 'x', rimNotch: 'none' }), read({ otherFindings: ['nevus'], rimNotch: 'superior' }), FACTS);
    expect(final.value.eyes.OD).not.toHaveProperty('otherFindings');
    expect(final.value.eyes.OD).not.toHaveProperty('otherText');
    expect(final.value.eyes.OD).not.toHaveProperty('rimNotch');
    expect(final.notes.map((n) => `${n.question}:${n.kind}`)).toEqual(['rimNotch:unresolved', 'otherFindings:unresolved']);
  });

  it('keeps an optional answer only one read gave, and says so', () => {
    const final = concordantFinal(FORM, read({ erm: 'none' }), read(), FACTS);
    expect(final.value.eyes.OD?.erm).toBe('none');
    expect(final.notes).toMatchObject([{ question: 'erm', kind: 'oneReadOnly' }]);
  });

  it('produces a final grade that is itself a valid submission', () => {
    const final = concordantFinal(FORM, read({ icdrLevel: 'mild_npdr', dme: 'present', dmeSeverity: 'mild' }, {}, { confidence: 2 }), read({ dme: 'present', dmeSeverity: 'moderate' }, {}, { confidence: 4 }), FACTS);
    expect(validateAnswers(FORM, final.value, FACTS, { mode: 'submit' })).toEqual({ ok: true, value: final.value });
    expect(final.value.eyes.OD).toMatchObject({ icdrLevel: 'mild_npdr', dmeSeverity: 'moderate' });
    // Confidence has no severity end (severity: 'none'): differing ratings are not merged.
    expect(final.value.participant).not.toHaveProperty('confidence');
    expect(final.notes).toContainEqual(expect.objectContaining({ question: 'confidence', kind: 'unresolved' }));
  });

  it("follows each question's severity direction: 'lower' keeps the smaller value, 'none' keeps neither", () => {
    const form = structuredClone(FORM);
    const question = (key: string) => form.sections.flatMap((s) => s.questions).find((q) => q.key === key)! as { severity?: string };
    question('vcdr').severity = 'lower';
    question('icdrLevel').severity = 'lower';
    question('intraretinalFluid').severity = 'none';
    const final = concordantFinal(form, read({ vcdr: 0.3, icdrLevel: 'mild_npdr', intraretinalFluid: false }), read({ vcdr: 0.4, icdrLevel: 'none', intraretinalFluid: true }), FACTS);
    expect(final.value.eyes.OD).toMatchObject({ vcdr: 0.3, icdrLevel: 'none' });
    expect(final.value.eyes.OD).not.toHaveProperty('intraretinalFluid');
    expect(final.notes.map((n) => `${n.question}:${n.kind}`)).toEqual(['icdrLevel:moreSevere', 'vcdr:moreSevere', 'intraretinalFluid:unresolved']);
  });

  it('single reads keep their answers with single_read provenance', () => {
    const only = read();
    expect(singleReadFinal(only)).toEqual({ provenance: 'single_read', value: only, notes: [] });
  });
});

describe('needsQaSample (D2: 10 % of accepted 1-step DR differences)', () => {
  const differing = concordantFinal(FORM, read({ icdrLevel: 'mild_npdr' }), read(), FACTS);
  const identical = concordantFinal(FORM, read(), read(), FACTS);

  it('samples about 10 % of cases, stably', () => {
    const ids = Array.from({ length: 5000 }, (_, i) => `case-${i}`);
    const sampled = ids.filter((id) => needsQaSample(RULES, differing, id));
    expect(sampled.length / ids.length).toBeGreaterThan(0.085);
    expect(sampled.length / ids.length).toBeLessThan(0.115);
    expect(ids.filter((id) => needsQaSample(RULES, differing, id))).toEqual(sampled);
  });

  it('never samples a pair without an accepted DR difference', () => {
    const ids = Array.from({ length: 500 }, (_, i) => `case-${i}`);
    expect(ids.some((id) => needsQaSample(RULES, identical, id))).toBe(false);
    const vcdrOnly = concordantFinal(FORM, read({ vcdr: 0.4 }), read(), FACTS);
    expect(ids.some((id) => needsQaSample(RULES, vcdrOnly, id))).toBe(false);
  });
});
