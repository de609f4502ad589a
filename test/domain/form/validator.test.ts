import fc from 'fast-check';
import { FormSchema, type Question } from '../../../domain/form/schema';
import { codeOf, compileForm, validateAnswers, type ValidationResult } from '../../../domain/form/validator';
import { type CaseFacts } from '../../../domain/case';
import { answers, FACTS, FORM, gradableEye } from '../fixtures';

const submit = (body: unknown, facts: CaseFacts = FACTS) => validateAnswers(FORM, body, facts, { mode: 'submit' });
const draft = (body: unknown, facts: CaseFacts = FACTS) => validateAnswers(FORM, body, facts, { mode: 'draft' });
const errorsOf = (r: ValidationResult) => (r.ok ? [] : r.errors.map(({ path, rule }) => `${path}:${rule}`));

describe('validateAnswers: accepted answers', () => {
  it('accepts a complete read of the default form in submit mode', () => {
    const result = submit(answers());
    expect(result).toEqual({ ok: true, value: answers() });
  });

  it('accepts every optional question where it is visible, and normalises', () => {
    const od = gradableEye({
      icdrLevel: 'moderate_npdr',
      dme: 'present',
      dmeSeverity: 'mild',
      centreInvolvingOnOct: true,
      laserScars: ['focal_grid', 'panretinal'],
      beckmanClass: 'late',
      largestDrusen: 'ge125',
      pigmentAbnormality: ['hypopigmentation'],
      lateAmdType: ['neovascular'],
      vcdr: 0.1 + 0.2, // 0.30000000000000004
      rimNotch: 'inferior',
      discHaemorrhage: 'no',
      rnflDefect: 'none',
      isntRule: 'obeyed',
      discSize: 'average',
      erm: 'none',
      rvo: 'none',
      otherFindings: ['other', 'nevus'],
      otherText: '  choroidal  nevus\r\nnear disc  ',
      intraretinalFluid: false,
      subretinalFluid: false,
      ped: 'none',
      ermOnOct: false,
      vitreomacularTraction: false,
      completeRpeOuterRetinalAtrophy: false,
    });
    const result = submit({ eyes: { OD: od, OS: gradableEye() }, participant: { referral: 'urgent', confidence: 4, comment: '\u1112\u1161\u11AB 판독' } });
    expect(errorsOf(result)).toEqual([]);
    const value = result.ok ? result.value : undefined;
    expect(value?.eyes.OD).toMatchObject({ laserScars: ['panretinal', 'focal_grid'], otherFindings: ['nevus', 'other'], vcdr: 0.3, otherText: 'choroidal  nevus\nnear disc' });
    expect(value?.participant).toEqual({ referral: 'urgent', confidence: 4, comment: '한 판독' }); // NFC-composed Hangul
  });

  it('accepts an ungradable eye with only the quality section', () => {
    const body = { eyes: { OD: { fundusQuality: 'ungradable', fundusUngradableReason: ['small_pupil'], octQuality: 'good' }, OS: gradableEye() }, participant: { referral: 'none' } };
    expect(errorsOf(submit(body))).toEqual([]);
    expect(errorsOf(submit({ ...body, eyes: { ...body.eyes, OD: { fundusQuality: 'not_acquired' } } }))).toEqual([]);
  });

  it('accepts partial drafts but requires every visible required answer on submit', () => {
    const partial = { eyes: { OD: { fundusQuality: 'good', icdrLevel: 'mild_npdr' } } };
    expect(draft(partial)).toEqual({ ok: true, value: { eyes: { OD: { fundusQuality: 'good', icdrLevel: 'mild_npdr' } }, participant: {} } });
    expect(draft({})).toEqual({ ok: true, value: { eyes: {}, participant: {} } });
    expect(errorsOf(submit(partial))).toEqual([
      'participant.referral:required',
      'eyes.OD.dme:required',
      'eyes.OD.beckmanClass:required',
      'eyes.OD.vcdr:required',
      'eyes.OD.glaucomaLikelihood:required',
      'eyes.OS.fundusQuality:required',
    ]);
  });

  it('asks only for the eyes the case has', () => {
    const body = { eyes: { OD: gradableEye() }, participant: { referral: 'none' } };
    expect(errorsOf(submit(body, { octPresent: true, eyes: ['OD'] }))).toEqual([]);
    expect(errorsOf(submit(answers(), { octPresent: true, eyes: ['OD'] }))).toEqual(['eyes.OS:unknownEye']);
  });

  it("accepts 'unable' for VCDR", () => {
    expect(errorsOf(submit(answers({ vcdr: 'unable' })))).toEqual([]);
  });
});

describe('validateAnswers: rejected answers name the path and the rule', () => {
  it.each<[string, unknown, string[]]>([
    ['a hidden DR grade on an ungradable eye', answers({ fundusQuality: 'ungradable' }), ['eyes.OD.icdrLevel:hidden', 'eyes.OD.dme:hidden', 'eyes.OD.beckmanClass:hidden', 'eyes.OD.vcdr:hidden', 'eyes.OD.glaucomaLikelihood:hidden']],
    ['a reason on a gradable eye', answers({ fundusUngradableReason: ['other'] }), ['eyes.OD.fundusUngradableReason:hidden']],
    ['DME severity without DME', answers({ dmeSeverity: 'mild' }), ['eyes.OD.dmeSeverity:hidden']],
    ['late AMD type below late AMD', answers({ lateAmdType: ['neovascular'] }), ['eyes.OD.lateAmdType:hidden']],
    ['other text without other', answers({ otherText: 'x' }), ['eyes.OD.otherText:hidden']],
    ['an unknown question', answers({ icdr: 'none' }), ['eyes.OD.icdr:unknownKey']],
    ['a participant question under an eye', answers({ referral: 'none' }), ['eyes.OD.referral:unknownKey']],
    ['an eye question under participant', answers({}, {}, { icdrLevel: 'none' }), ['participant.icdrLevel:unknownKey']],
    ['an unknown eye', { ...answers(), eyes: { ...answers().eyes, OU: {} } }, ['eyes.OU:unknownEye']],
    ['an unknown top-level key', { ...answers(), extra: 1 }, ['extra:unknownKey']],
    ['a derived item', answers({ iarmClass: 'early' }), ['eyes.OD.iarmClass:derived']],
    ['a code instead of the option value', answers({ icdrLevel: 2 }), ['eyes.OD.icdrLevel:option']],
    ['a value that is no option', answers({ dme: 'maybe' }), ['eyes.OD.dme:option']],
    ['a string for a numeric option', answers({}, {}, { confidence: '3' }), ['participant.confidence:option']],
    ['a VCDR off the step grid', answers({ vcdr: 0.33 }), ['eyes.OD.vcdr:step']],
    ['a VCDR out of range', answers({ vcdr: 1.05 }), ['eyes.OD.vcdr:range']],
    ['a VCDR as a string', answers({ vcdr: '0.3' }), ['eyes.OD.vcdr:type']],
    ['a non-finite VCDR', answers({ vcdr: Number.NaN }), ['eyes.OD.vcdr:type']],
    ['a repeated multi option', answers({ laserScars: ['none', 'none'] }), ['eyes.OD.laserScars:duplicate']],
    ['an empty multi', answers({ laserScars: [] }), ['eyes.OD.laserScars:empty']],
    ['a multi as a string', answers({ laserScars: 'none' }), ['eyes.OD.laserScars:type']],
    ['a multi with a foreign item', answers({ laserScars: ['none', 'laser'] }), ['eyes.OD.laserScars:option']],
    ['a bool as a string', answers({ intraretinalFluid: 'true' }), ['eyes.OD.intraretinalFluid:type']],
    ['a null answer', answers({ dme: null }), ['eyes.OD.dme:option']],
    ['text with a control character', answers({}, {}, { comment: 'a\u0000b' }), ['participant.comment:controlChars']],
    ['text with a bidi override', answers({}, {}, { comment: 'a\u202Eb' }), ['participant.comment:controlChars']],
    ['text with a lone surrogate', answers({}, {}, { comment: 'a\uD800b' }), ['participant.comment:controlChars']],
    ['blank text', answers({}, {}, { comment: '   ' }), ['participant.comment:empty']],
    ['text over maxLength', answers({}, {}, { comment: 'x'.repeat(501) }), ['participant.comment:maxLength']],
    ['a huge string', answers({}, {}, { comment: 'x'.repeat(5_000_000) }), ['participant.comment:maxLength']],
    ['eyes as an array', { eyes: [], participant: { referral: 'none' } }, ['eyes:type']],
    ['an eye as null', { eyes: { OD: null, OS: gradableEye() }, participant: { referral: 'none' } }, ['eyes.OD:type']],
  ])('%s', (_name, body, expected) => {
    expect(errorsOf(submit(body))).toEqual(expected);
  });

  it('hides OCT quality and findings when the case has no OCT', () => {
    const noOct: CaseFacts = { octPresent: false };
    expect(errorsOf(submit(answers(), noOct))).toEqual(['eyes.OD.octQuality:hidden', 'eyes.OS.octQuality:hidden']);
    expect(errorsOf(submit(answers({ octQuality: undefined }, { octQuality: undefined }), noOct))).toEqual([]);
    expect(errorsOf(submit(answers({ octQuality: undefined, intraretinalFluid: false }, { octQuality: undefined }), noOct))).toEqual(['eyes.OD.intraretinalFluid:hidden']);
    // OCT present but ungradable: findings hidden too.
    expect(errorsOf(submit(answers({ octQuality: 'ungradable', ped: 'none' })))).toEqual(['eyes.OD.ped:hidden']);
  });

  it('asks OCT questions only of the eyes that have an OCT (octEyes); unknown laterality means every eye', () => {
    const odOnly: CaseFacts = { octPresent: true, octEyes: ['OD'] };
    expect(errorsOf(submit(answers(), odOnly))).toEqual(['eyes.OS.octQuality:hidden']);
    expect(errorsOf(submit(answers({}, { octQuality: undefined }), odOnly))).toEqual([]);
    expect(errorsOf(submit(answers({ intraretinalFluid: false }, { octQuality: undefined, intraretinalFluid: false }), odOnly))).toEqual(['eyes.OS.intraretinalFluid:hidden']);
    // The participant scope still sees an OCT (of some eye); an absent octEyes keeps the case-wide fact.
    expect(errorsOf(submit(answers(), { octPresent: true }))).toEqual([]);
    expect(errorsOf(submit(answers(), { octPresent: false, octEyes: ['OD'] }))).toEqual(['eyes.OD.octQuality:hidden', 'eyes.OS.octQuality:hidden']);
  });

  it('explains that codes are not option values', () => {
    const result = submit(answers({ icdrLevel: 2 }));
    expect(result.ok ? '' : result.errors[0].message).toMatch(/send the option value, not its code.*none, mild_npdr/);
  });

  it.each<[string, unknown]>([
    ['null', null],
    ['an array', [answers()]],
    ['a string', 'answers'],
    ['a number', 42],
    ['undefined', undefined],
  ])('rejects %s as the body', (_name, body) => {
    expect(errorsOf(submit(body))).toEqual(['$:type']);
  });

  it('treats prototype-pollution keys as unknown keys and pollutes nothing', () => {
    const body = JSON.parse(
      '{"__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":1}},"eyes":{"__proto__":{"x":1},"OD":{"__proto__":{"polluted":1},"constructor":1,"toString":"x"}},"participant":{"hasOwnProperty":1}}',
    );
    expect(errorsOf(draft(body))).toEqual([
      '__proto__:unknownKey',
      'constructor:unknownKey',
      'participant.hasOwnProperty:unknownKey',
      'eyes.__proto__:unknownEye',
      'eyes.OD.__proto__:unknownKey',
      'eyes.OD.constructor:unknownKey',
      'eyes.OD.toString:unknownKey',
    ]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('survives deep nesting and many keys', () => {
    const deep = JSON.parse('['.repeat(5000) + ']'.repeat(5000));
    expect(errorsOf(submit(answers({ dme: deep })))).toEqual(['eyes.OD.dme:option']);
    const many = Object.fromEntries(Array.from({ length: 50_000 }, (_, i) => [`k${i}`, i]));
    const result = draft({ eyes: { OD: many } });
    expect(result.ok).toBe(false);
    expect(result.ok ? 0 : result.errors.length).toBe(101); // capped, with a final tooManyErrors entry
  });

  it('never throws, even on a throwing getter', () => {
    const hostile = { get eyes(): never { throw new Error('boom'); } };
    expect(errorsOf(submit(hostile))).toEqual(['$:internal']);
  });
});

describe('validateAnswers on a custom form', () => {
  const form = FormSchema.parse({
    formId: 'custom',
    formVersion: '1.0.0',
    eyes: ['OD'],
    sections: [
      {
        key: 's',
        perEye: true,
        questions: [
          { key: 'iop', type: 'number', min: 5, max: 60 },
          { key: 'axial', type: 'number', min: 20.5, max: 30, step: 0.01 },
          { key: 'grade', type: 'ordinal', options: [0, 1, 2] },
        ],
      },
    ],
  });
  const check = (od: Record<string, unknown>) => validateAnswers(form, { eyes: { OD: od } }, FACTS, { mode: 'draft' });

  it.each<[Record<string, unknown>, string[]]>([
    [{ iop: 17.3 }, []],
    [{ iop: 'unable' }, ['eyes.OD.iop:type']],
    [{ iop: 4.99 }, ['eyes.OD.iop:range']],
    [{ axial: 23.45 }, []],
    [{ axial: 23.455 }, ['eyes.OD.axial:step']],
    [{ grade: 2 }, []],
    [{ grade: 3 }, ['eyes.OD.grade:option']],
  ])('%j', (od, expected) => {
    expect(errorsOf(check(od))).toEqual(expected);
  });

  it('snaps values within float error onto the grid', () => {
    const result = check({ axial: 20.5 + 0.07 });
    expect(result.ok && result.value.eyes.OD?.axial).toBe(20.57);
  });
});

describe('codeOf', () => {
  const q = (key: string) => compileForm(FORM).byKey.get(key)!.question as Question;
  it.each<[string, unknown, number | null]>([
    ['icdrLevel', 'moderate_npdr', 2],
    ['fundusQuality', 'ungradable', 9],
    ['dme', 'cannot_assess', 2], // uncoded options: position in the list
    ['confidence', 4, 4],
    ['vcdr', 0.45, 0.45],
    ['vcdr', 'unable', null],
    ['intraretinalFluid', true, 1],
    ['intraretinalFluid', false, 0],
    ['laserScars', ['none'], null],
    ['comment', 'text', null],
    ['iarmClass', 'x', null],
    ['icdrLevel', 'unknown', null],
    ['icdrLevel', undefined, null],
  ])('%s %j → %j', (key, value, code) => {
    expect(codeOf(q(key), value)).toBe(code);
  });
});

// ---------------------------------------------------------------------------------------------
// Properties.

const cf = compileForm(FORM);
const eyeKeys = cf.eye.map((q) => q.question.key);
const participantKeys = cf.participant.map((q) => q.question.key);

/** An arbitrary value that is valid for the question's type, ignoring visibility. */
function validValueArb(q: Question): fc.Arbitrary<unknown> {
  switch (q.type) {
    case 'single':
    case 'ordinal':
      return fc.constantFrom(...q.options.map((o) => (typeof o === 'object' ? o.v : o)));
    case 'multi':
      return fc.uniqueArray(fc.constantFrom(...q.options.map((o) => (typeof o === 'object' ? o.v : (o as string)))), { minLength: 1 });
    case 'number':
      return fc.oneof(fc.integer({ min: 0, max: Math.round((q.max - q.min) / q.step!) }).map((k) => q.min + k * q.step!), fc.constant('unable'));
    case 'bool':
      return fc.boolean();
    case 'text':
      return fc.string({ minLength: 1, maxLength: 40 }).filter((s) => s.trim().length > 0);
    case 'derived':
      return fc.constant('derived');
  }
}

/** Optional answers for every question of a scope: near-valid bodies (hidden or missing items included). */
const scopeArb = (keys: string[]) =>
  fc.record(Object.fromEntries(keys.map((k) => [k, validValueArb(cf.byKey.get(k)!.question)])), { requiredKeys: [] });

const eyeSetArb = fc.option(fc.subarray(['OD', 'OS'] as ('OD' | 'OS')[], { minLength: 1 }), { nil: undefined });
const factsArb: fc.Arbitrary<CaseFacts> = fc.record({ octPresent: fc.boolean(), octEyes: eyeSetArb, eyes: eyeSetArb }, { requiredKeys: ['octPresent'] });
const modeArb = fc.constantFrom('draft' as const, 'submit' as const);

/** A valid answer mutated in one place: a value replaced by arbitrary JSON, a key removed or added. */
const mutatedArb = fc
  .record({
    scope: fc.constantFrom('OD', 'OS', 'participant'),
    key: fc.oneof(fc.constantFrom(...eyeKeys, ...participantKeys), fc.string(), fc.constantFrom('__proto__', 'constructor', 'prototype')),
    action: fc.constantFrom('set', 'delete'),
    value: fc.oneof(fc.jsonValue(), fc.anything()),
  })
  .map(({ scope, key, action, value }) => {
    const body = answers({ vcdr: 'unable' }, { fundusQuality: 'ungradable', icdrLevel: undefined, dme: undefined, beckmanClass: undefined, vcdr: undefined, glaucomaLikelihood: undefined });
    const target: Record<string, unknown> = scope === 'participant' ? body.participant : (body.eyes as Record<string, Record<string, unknown>>)[scope];
    if (action === 'delete') delete target[key];
    else Object.defineProperty(target, key, { value, enumerable: true, configurable: true, writable: true });
    return JSON.parse(JSON.stringify(body)) as unknown;
  });

/** The contract of a total validator, checked on every generated body (plain checks: expect() per item is slow). */
function checkContract(body: unknown, facts: CaseFacts, mode: 'draft' | 'submit'): ValidationResult {
  const result = validateAnswers(FORM, body, facts, { mode });
  if (result.ok) {
    // The normalised value is a fixed point: it validates again, unchanged.
    expect(validateAnswers(FORM, result.value, facts, { mode })).toEqual(result);
  } else {
    const bad = result.errors.filter((e) => !e.path || !e.message || e.rule === 'internal');
    expect(result.errors.length > 0 && bad.length === 0 ? [] : { bad, count: result.errors.length }).toEqual([]);
  }
  return result;
}

/**
 * Valid reads of the default form, built from the form's conditions as written in reading.md (an
 * oracle independent of the validator): every required item, a random subset of optional ones.
 */
function validEyeArb(octPresent: boolean): fc.Arbitrary<Record<string, unknown>> {
  const value = (key: string) => validValueArb(cf.byKey.get(key)!.question);
  const all = fc.record(Object.fromEntries(eyeKeys.filter((k) => k !== 'iarmClass' && k !== 'isgeoCategory').map((k) => [k, value(k)])));
  return fc.tuple(all, fc.func(fc.boolean())).map(([v, include]) => {
    const eye: Record<string, unknown> = {};
    const put = (key: string, required = false) => {
      if (required || include(key)) eye[key] = v[key];
    };
    put('fundusQuality', true);
    const gradable = v.fundusQuality === 'good' || v.fundusQuality === 'fair_gradable';
    if (v.fundusQuality === 'ungradable') put('fundusUngradableReason');
    if (octPresent) put('octQuality');
    if (gradable) {
      ['icdrLevel', 'dme', 'beckmanClass', 'vcdr', 'glaucomaLikelihood'].forEach((k) => put(k, true));
      ['laserScars', 'largestDrusen', 'pigmentAbnormality', 'rimNotch', 'discHaemorrhage', 'rnflDefect', 'isntRule', 'discSize', 'erm', 'rvo', 'otherFindings'].forEach((k) => put(k));
      if (v.dme === 'present') put('dmeSeverity');
      if (v.dme === 'present' && octPresent) put('centreInvolvingOnOct');
      if (v.beckmanClass === 'late') put('lateAmdType');
      if (Array.isArray(eye.otherFindings) && eye.otherFindings.includes('other')) put('otherText');
    }
    if (octPresent && (eye.octQuality === 'good' || eye.octQuality === 'fair_gradable')) {
      ['intraretinalFluid', 'subretinalFluid', 'ped', 'ermOnOct', 'vitreomacularTraction', 'completeRpeOuterRetinalAtrophy'].forEach((k) => put(k));
    }
    return eye;
  });
}

const validBodyArb = fc.boolean().chain((octPresent) =>
  fc.record({
    octPresent: fc.constant(octPresent),
    body: fc.record({
      eyes: fc.record({ OD: validEyeArb(octPresent), OS: validEyeArb(octPresent) }),
      participant: fc.record({ referral: validValueArb(cf.byKey.get('referral')!.question), confidence: validValueArb(cf.byKey.get('confidence')!.question) }, { requiredKeys: ['referral'] }),
    }),
  }),
);

describe('validateAnswers properties', () => {
  it('arbitrary JSON: never throws; ok values re-validate; errors have paths', () => {
    fc.assert(fc.property(fc.jsonValue(), factsArb, modeArb, (body, facts, mode) => void checkContract(body, facts, mode)), { numRuns: 1500 });
  });

  it('arbitrary JS values (including prototype keys and odd objects): same contract', () => {
    const shaped = fc.record({ eyes: fc.record({ OD: fc.anything({ withObjectString: true, withNullPrototype: true, withBoxedValues: true }) }), participant: fc.anything() }, { requiredKeys: [] });
    fc.assert(fc.property(fc.oneof(fc.anything({ withNullPrototype: true }), shaped), factsArb, modeArb, (body, facts, mode) => void checkContract(body, facts, mode)), { numRuns: 1500 });
  });

  it('near-valid bodies (one field mutated): same contract', () => {
    fc.assert(fc.property(mutatedArb, factsArb, modeArb, (body, facts, mode) => void checkContract(body, facts, mode)), { numRuns: 1500 });
  });

  it('valid reads built from the default form validate in submit mode', () => {
    fc.assert(
      fc.property(validBodyArb, ({ octPresent, body }) => {
        const result = checkContract(body, { octPresent }, 'submit');
        expect(result.ok ? [] : result.errors).toEqual([]);
      }),
      { numRuns: 1000 },
    );
  });

  it('well-typed answers fail only on visibility, requiredness or derived items', () => {
    const body = fc.record({ eyes: fc.record({ OD: scopeArb(eyeKeys), OS: scopeArb(eyeKeys) }), participant: scopeArb(participantKeys) });
    fc.assert(
      fc.property(body, fc.boolean(), modeArb, (b, octPresent, mode) => {
        const result = checkContract(b, { octPresent }, mode);
        const unexpected = result.ok ? [] : result.errors.filter((e) => !['hidden', 'required', 'derived'].includes(e.rule));
        expect(unexpected).toEqual([]);
      }),
      { numRuns: 1500 },
    );
  });
});
