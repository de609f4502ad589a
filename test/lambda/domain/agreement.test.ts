import fc from 'fast-check';
import {
  agreementRows,
  agreementStats,
  cohenKappa,
  crossTable,
  disagreementWeights,
  intraReaderAgreement,
  kappaFromTable,
  pabak,
  percentExact,
  perReaderAgreement,
  scaleOf,
  summariseAgreement,
  weightedKappa,
  withinOneStep,
  type Pair,
  type Table,
} from '../../../lambda/shared/domain/agreement';
import { compileForm } from '../../../lambda/shared/domain/form-validator';
import { FORM, read } from './fixtures';

const table = (counts: number[][]): Table => ({ counts, n: counts.flat().reduce((s, c) => s + c, 0) });
/** Expands a table of counts into pairs of category indices. */
const pairsOf = (counts: number[][]): Pair[] => counts.flatMap((row, i) => row.flatMap((c, j) => Array.from({ length: c }, () => [i, j] as const)));

describe('Cohen’s kappa against published worked examples', () => {
  it('Wikipedia "Cohen\'s kappa", simple example: 50 grant proposals, κ = 0.4', () => {
    // Source: en.wikipedia.org/wiki/Cohen%27s_kappa, "Simple example": A yes/B yes 20, A yes/B no 5,
    // A no/B yes 10, A no/B no 15; the article gives po = 0.7, pe = 0.5, κ = 0.4.
    const t = table([
      [20, 5],
      [10, 15],
    ]);
    const k = cohenKappa(t);
    expect(k.po).toBeCloseTo(0.7, 12);
    expect(k.pe).toBeCloseTo(0.5, 12);
    expect(k.value).toBeCloseTo(0.4, 12);
  });

  it('Wikipedia "Cohen\'s kappa", same percentages but different numbers: κ = 0.1304 and 0.2593', () => {
    // Source: the same article, two tables with po = 0.60 each. By hand:
    //   [[45,15],[25,15]]: A yes 60/100, B yes 70/100 → pe = .6·.7 + .4·.3 = .54 → κ = .06/.46 = 0.1304
    //   [[25,35],[5,35]]:  A yes 60/100, B yes 30/100 → pe = .6·.3 + .4·.7 = .46 → κ = .14/.54 = 0.2593
    expect(cohenKappa(table([[45, 15], [25, 15]])).value).toBeCloseTo(0.1304, 4);
    expect(cohenKappa(table([[25, 35], [5, 35]])).value).toBeCloseTo(0.2593, 4);
  });

  it('Cohen (1968) Table 1, 200 cases in 3 diagnoses: κ = .492, κw = .348 (and .353 with asymmetric weights)', () => {
    // Source: Cohen J. (1968) Weighted kappa, Psychol Bull 70:213–220, Table 1, as reproduced in the R
    // psych package's cohen.kappa examples ("cohen reports .492 and .348"; "Cohen reports kw = .353").
    // Observed proportions .44 .07 .09 / .05 .20 .05 / .01 .03 .06 of N = 200; disagreement weights
    // 0 1 3 / 1 0 6 / 3 6 0 (and the asymmetric 0 1 4 / 1 0 6 / 2 2 0).
    const t = table([
      [88, 14, 18],
      [10, 40, 10],
      [2, 6, 12],
    ]);
    expect(cohenKappa(t).value).toBeCloseTo(0.492, 3);
    expect(kappaFromTable(t, [[0, 1, 3], [1, 0, 6], [3, 6, 0]]).value).toBeCloseTo(0.348, 3);
    expect(kappaFromTable(t, [[0, 1, 4], [1, 0, 6], [2, 2, 0]]).value).toBeCloseTo(0.353, 3);
  });
});

describe('linear and quadratic weighted kappa: a table worked by hand', () => {
  // No published linear/quadratic value is quoted here with confidence, so this 3×3 table (n = 10)
  // is worked by hand from the definition κw = (po − pe)/(1 − pe) with agreement weights
  // w = 1 − |i−j|/(k−1) (linear) or 1 − (i−j)²/(k−1)² (quadratic), k = 3:
  //   counts  [3 1 0]   row marginals .4 .4 .2
  //           [1 2 1]   col marginals .4 .3 .3
  //           [0 0 2]
  //   diagonal: po = (3+2+2)/10 = .70;  pe = .4·.4 + .4·.3 + .2·.3 = .34
  //   one step apart: observed (1+1+1+0)/10 = .30; expected .4·.3 + .4·.4 + .4·.3 + .2·.3 = .46
  //   two steps apart: observed 0; expected .4·.3 + .2·.4 = .20
  //   unweighted: (.70 − .34)/(1 − .34) = .36/.66 = 6/11 = 0.5455
  //   linear (w = ½ one step apart): po = .70 + .15 = .85, pe = .34 + .23 = .57 → .28/.43 = 0.6512
  //   quadratic (w = ¾):             po = .70 + .225 = .925, pe = .34 + .345 = .685 → .24/.315 = 0.7619
  //   PABAK, k = 3: (3·.7 − 1)/2 = 0.55;  within one step: 1.0
  const t = table([
    [3, 1, 0],
    [1, 2, 1],
    [0, 0, 2],
  ]);

  it('matches the hand computation', () => {
    expect(cohenKappa(t).value).toBeCloseTo(6 / 11, 12);
    expect(weightedKappa(t, 'linear')).toMatchObject({ po: expect.closeTo(0.85, 12), pe: expect.closeTo(0.57, 12), value: expect.closeTo(28 / 43, 12) });
    expect(weightedKappa(t, 'quadratic')).toMatchObject({ po: expect.closeTo(0.925, 12), pe: expect.closeTo(0.685, 12), value: expect.closeTo(16 / 21, 12) });
    expect(pabak(t)).toBeCloseTo(0.55, 12);
    expect(percentExact(t)).toBeCloseTo(0.7, 12);
    expect(withinOneStep(t)).toBe(1);
  });

  it('counts the form’s categories, not the observed ones: an unused middle grade widens the distance', () => {
    // The same ratings placed on a 4-point scale whose category 2 nobody used (codes 0,1,3 observed).
    // Linear distances become 1,2,3 over k−1 = 3: w(0,1) = 2/3, w(1,3) = 1/3, w(0,3) = 0.
    //   po = .70 + (2/3)(.1 + .1) + (1/3)(.1 + 0) = .70 + .1333 + .0333 = .8667
    //   pe = .34 + (2/3)(.4·.3 + .4·.4) + (1/3)(.4·.3 + .2·.3) + 0 = .34 + .1867 + .06 = .5867
    //   κ = .28/.4133 = 0.6774 (vs 0.6512 on the 3-point scale)
    const pairs = pairsOf([[3, 1, 0], [1, 2, 1], [0, 0, 2]]).map(([a, b]) => [[0, 1, 3][a], [0, 1, 3][b]] as const);
    const stats = agreementStats(pairs, { categories: [0, 1, 2, 3], ordinal: true });
    expect(stats.linearWeightedKappa?.value).toBeCloseTo(0.28 / (1 - (0.34 + 0.56 / 3 + 0.06)), 12);
    expect(stats.linearWeightedKappa?.value).toBeCloseTo(0.6774, 4);
    expect(stats.pabak).toBeCloseTo((4 * 0.7 - 1) / 3, 12); // k = 4 from the scale
  });

  it('equals unweighted kappa on two categories', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(30), { minLength: 4, maxLength: 4 }), ([a, b, c, d]) => {
        const two = table([[a, b], [c, d]]);
        const k = cohenKappa(two).value;
        expect(weightedKappa(two, 'linear').value).toEqual(k === null ? null : expect.closeTo(k, 10));
        expect(weightedKappa(two, 'quadratic').value).toEqual(k === null ? null : expect.closeTo(k, 10));
      }),
      { numRuns: 300 },
    );
  });
});

describe('PABAK (Byrt, Bishop & Carlin 1993)', () => {
  it('is 2·po − 1 for a 2×2 table', () => {
    // Byrt, Bishop & Carlin, J Clin Epidemiol 1993;46:423–429 define PABAK = 2·po − 1 for two
    // categories. On the Wikipedia table above po = 0.7, so PABAK = 0.4.
    expect(pabak(table([[20, 5], [10, 15]]))).toBeCloseTo(0.4, 12);
  });

  it('stays informative where kappa collapses at low prevalence', () => {
    // 100 eyes, late AMD rare: both "no" 96, one reader "yes" 2 + 2. By hand: po = .96,
    // pe = .98·.98 + .02·.02 = .9608, κ = (.96 − .9608)/(1 − .9608) = −.0204; PABAK = .92.
    const rare = table([[96, 2], [2, 0]]);
    expect(cohenKappa(rare).value).toBeCloseTo(-0.0008 / 0.0392, 10);
    expect(pabak(rare)).toBeCloseTo(0.92, 12);
  });
});

describe('degenerate cases return null with a reason, never NaN', () => {
  it.each<[string, Pair[], number[], RegExp]>([
    ['no pairs', [], [0, 1], /no pairs/],
    ['everyone in one category (pe = 1)', [[0, 0], [0, 0], [0, 0]], [0, 1, 2], /chance agreement is 1/],
    ['a one-category scale', [[0, 0]], [0], /fewer than two categories/],
  ])('%s', (_name, pairs, categories, reason) => {
    const stats = agreementStats(pairs, { categories, ordinal: true });
    for (const k of [stats.kappa, stats.linearWeightedKappa!, stats.quadraticWeightedKappa!]) {
      expect(k.value).toBeNull();
      expect(k.reason).toMatch(reason);
    }
    expect(JSON.stringify(stats)).not.toMatch(/NaN/);
  });

  it('is never NaN on random data', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 4 }))), (pairs) => {
        const stats = agreementStats(pairs, { categories: [0, 1, 2, 3, 4], ordinal: true });
        for (const k of [stats.kappa, stats.linearWeightedKappa!, stats.quadraticWeightedKappa!]) {
          expect(k.value === null ? k.reason : Number.isFinite(k.value) && k.value <= 1 + 1e-12).toBeTruthy();
        }
      }),
      { numRuns: 500 },
    );
  });

  it('drops values off the scale and counts them', () => {
    expect(crossTable([[0, 1], [7, 1], [1, 1]], [0, 1])).toMatchObject({ n: 2, dropped: 1 });
  });
});

describe('weights', () => {
  it('builds nominal, linear and quadratic disagreement weights', () => {
    expect(disagreementWeights(3, 'nominal')).toEqual([[0, 1, 1], [1, 0, 1], [1, 1, 0]]);
    expect(disagreementWeights(3, 'linear')).toEqual([[0, 0.5, 1], [0.5, 0, 0.5], [1, 0.5, 0]]);
    expect(disagreementWeights(3, 'quadratic')).toEqual([[0, 0.25, 1], [0.25, 0, 0.25], [1, 0.25, 0]]);
  });
});

describe('scales from the form', () => {
  const q = (key: string) => compileForm(FORM).byKey.get(key)!.question;
  it.each<[string, unknown]>([
    ['icdrLevel', { categories: [0, 1, 2, 3, 4], ordinal: true }],
    ['fundusQuality', { categories: [0, 1, 9, 8], ordinal: false }],
    ['dme', { categories: [0, 1, 2], ordinal: false }],
    ['confidence', { categories: [1, 2, 3, 4, 5], ordinal: true }],
    ['intraretinalFluid', { categories: [0, 1], ordinal: false }],
    ['laserScars', { reason: 'multi answers have no single category' }],
    ['comment', { reason: 'text answers have no single category' }],
  ])('%s', (key, scale) => {
    expect(scaleOf(q(key))).toEqual(scale);
  });

  it('puts VCDR on its 0.05 grid (21 categories) so codes match validated answers exactly', () => {
    const scale = scaleOf(q('vcdr'));
    expect('categories' in scale && scale.categories.length).toBe(21);
    expect('categories' in scale && scale.categories.slice(5, 8)).toEqual([0.25, 0.3, 0.35]);
  });
});

describe('summariseAgreement', () => {
  const rows = [
    ...agreementRows(FORM, 'c1', read({ icdrLevel: 'mild_npdr' }), read()),
    ...agreementRows(FORM, 'c2', read({}, { icdrLevel: 'pdr' }), read({}, { icdrLevel: 'pdr' })),
    ...agreementRows(FORM, 'c3', read({ fundusQuality: 'ungradable', icdrLevel: undefined, dme: undefined, beckmanClass: undefined, vcdr: undefined, glaucomaLikelihood: undefined }), read()),
  ];
  const summary = summariseAgreement(FORM, rows);
  const find = (question: string, eye: string) => summary.find((s) => s.question === question && s.eye === eye)!;

  it('skips absent values (ungradable eye) and reports n', () => {
    // icdrLevel pairs: c1 OD (1,0), c1 OS (0,0), c2 OD (0,0), c2 OS (4,4), c3 OD (—,0) skipped, c3 OS (0,0).
    expect(find('icdrLevel', 'all')).toMatchObject({ skipped: 1, stats: { n: 5, percentExact: 0.8, withinOneStep: 1 } });
    expect(find('icdrLevel', 'OD')).toMatchObject({ skipped: 1, stats: { n: 2, percentExact: 0.5 } });
    expect(find('icdrLevel', 'OS')).toMatchObject({ skipped: 0, stats: { n: 3, percentExact: 1 } });
    expect(find('fundusQuality', 'all').stats?.n).toBe(6);
  });

  it('gives participant-level questions one pooled line', () => {
    expect(summary.filter((s) => s.question === 'referral').map((s) => s.eye)).toEqual(['all']);
  });

  it('orders by the form and explains questions it cannot score', () => {
    expect(summary[0]).toMatchObject({ question: 'fundusQuality', eye: 'all' });
    const rowsWithMulti = [{ caseId: 'c', eye: 'OD' as const, question: 'laserScars', a: null, b: null }];
    expect(summariseAgreement(FORM, rowsWithMulti)[0]).toMatchObject({ stats: null, reason: expect.stringMatching(/multi/) });
  });
});

describe('per-reader agreement with the final grade, and intra-reader agreement', () => {
  it('groups by reader and question', () => {
    const rows = [
      { readerId: 'r1', question: 'icdrLevel', eye: 'OD' as const, value: 1, reference: 1 },
      { readerId: 'r1', question: 'icdrLevel', eye: 'OS' as const, value: 0, reference: 1 },
      { readerId: 'r2', question: 'icdrLevel', eye: 'OD' as const, value: 2, reference: 2 },
      { readerId: 'r2', question: 'icdrLevel', eye: 'OD' as const, value: null, reference: 2 },
    ];
    expect(perReaderAgreement(FORM, rows)).toMatchObject([
      { readerId: 'r1', question: 'icdrLevel', skipped: 0, stats: { n: 2, percentExact: 0.5 } },
      { readerId: 'r2', question: 'icdrLevel', skipped: 1, stats: { n: 1, percentExact: 1 } },
    ]);
  });

  it('computes intra-reader kappa from repeat pairs (Wikipedia table as one reader’s repeats)', () => {
    // yes = 1, no = 0 on a bool question; counts as in the Wikipedia example → κ = 0.4.
    const rows = pairsOf([[20, 5], [10, 15]]).map(([first, repeat]) => ({ readerId: 'r1', question: 'intraretinalFluid', value: 1 - repeat, reference: 1 - first }));
    const [r1] = intraReaderAgreement(FORM, rows);
    expect(r1.stats?.kappa.value).toBeCloseTo(0.4, 12);
    expect(r1.stats?.n).toBe(50);
  });
});
