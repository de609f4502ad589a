import fc from 'fast-check';
import { compileVisibleIf, VisibleIfParseError } from '../../../domain/form/visible-if';

describe('visibleIf evaluation', () => {
  const context = { fundusQuality: 9, dme: 'present', otherFindings: ['nevus', 'other'], octPresent: true, octAbsent: false, vcdr: 0.6, flag: 'true' };

  it.each([
    ['fundusQuality == 9', true],
    ['fundusQuality == 0', false],
    ['fundusQuality != 0', true],
    ['missing != 0', false], // comparisons with an absent value are false, including !=
    ["dme == 'present'", true],
    ['dme == "present"', true],
    ["dme == 'absent'", false],
    ['fundusQuality in [0,1]', false],
    ['fundusQuality in [0, 1, 9]', true],
    ["otherFindings contains 'other'", true],
    ["otherFindings contains 'macular_hole'", false],
    ["dme contains 'present'", false], // contains needs an array
    ['octPresent', true],
    ['octAbsent', false],
    ['flag', false], // a bare identifier is true only for the boolean true
    ['missing', false],
    ['!octPresent', false],
    ['!!octPresent', true],
    ["octPresent && dme == 'present'", true],
    ['octAbsent || fundusQuality == 9', true],
    ['octAbsent || fundusQuality == 0', false],
    ['!(octAbsent || fundusQuality == 0)', true],
    ['octAbsent && missing || octPresent', true], // && binds tighter than ||
    ['octPresent == true', true],
    ['vcdr >= 0.6 && vcdr < 0.7', true],
    ['vcdr > -1', true],
    ["dme > 'a'", false], // ordering applies to numbers only
    ['constructor', false],
    ['__proto__ == 1', false],
    ['toString', false],
  ])('%s → %s', (source, expected) => {
    expect(compileVisibleIf(source).evaluate(context)).toBe(expected);
  });

  it('lists the identifiers it uses and what they are compared with', () => {
    expect(compileVisibleIf("octPresent && dme in ['present', 'cannot_assess']").uses).toEqual([
      { name: 'octPresent', values: [] },
      { name: 'dme', op: 'in', values: ['present', 'cannot_assess'] },
    ]);
  });

  it('compiles once and evaluates against many contexts', () => {
    const compiled = compileVisibleIf('fundusQuality in [0,1]');
    expect([0, 1, 8, 9].map((q) => compiled.evaluate({ fundusQuality: q }))).toEqual([true, true, false, false]);
  });
});

describe('visibleIf parse errors name the expression and the position', () => {
  it.each([
    ['fundusQuality ==', 16, 'expected a literal but found end of expression'],
    ['a == 1 b', 7, "unexpected 'b'"],
    ["dme == 'present", 7, 'unterminated string'],
    ['a in [1, 2', 10, "expected ']'"],
    ['(a == 1', 7, "expected ')'"],
    ['a = 1', 2, "unexpected character '='"],
    ['&& a', 0, 'expected an identifier'],
    ['a == b', 5, 'expected a literal'],
    ['a; process.exit()', 1, "unexpected character ';'"],
    ['', 0, 'expected an identifier'],
  ])('%j', (source, position, detail) => {
    let error: unknown;
    try {
      compileVisibleIf(source);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(VisibleIfParseError);
    const e = error as VisibleIfParseError;
    expect(e.position).toBe(position);
    expect(e.message).toContain(`visibleIf "${source}"`);
    expect(e.message).toContain(detail);
    expect(e.message).toContain(`at position ${position}`);
  });

  it('bounds nesting and length', () => {
    expect(() => compileVisibleIf('('.repeat(100) + 'a' + ')'.repeat(100))).toThrow(/nesting deeper than/);
    expect(() => compileVisibleIf('!'.repeat(100) + 'a')).toThrow(/nesting deeper than/);
    expect(() => compileVisibleIf('a || '.repeat(200) + 'a')).toThrow(/longer than 500/);
  });

  it('either compiles or throws a VisibleIfParseError for any string', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'ab09 ()[]!&|=<>,\'"-.intcoas'.split('')), maxLength: 60 }), (source) => {
        try {
          compileVisibleIf(source).evaluate({ a: 1, b: ['a'] });
        } catch (e) {
          expect(e).toBeInstanceOf(VisibleIfParseError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
