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
} from '../../domain/agreement';
import { compileForm } from '../../domain/form/validator';
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

// Published worked examples for the weighted kappas and PABAK. Each value below is copied from the
// cited page as printed there (nothing is recalled or recomputed) and compared at the precision
// printed: the decimals shown, or 7 decimals for R's default 7 significant digits where a value such
// as 0.835 is printed in full. The tables are quoted cell by cell from the same pages.
/** The question's category codes in scale order (so a published table's row i is the i-th grade). */
const categoriesOf = (key: string) => {
  const scale = scaleOf(compileForm(FORM).byKey.get(key)!.question);
  if (!('categories' in scale)) throw new Error(`${key} has no scale`);
  return scale.categories;
};

describe('linear weighted kappa against a published example', () => {
  // Kundel HL, Polansky M (2003). Measurement of observer agreement. Radiology 228:303–308, Table A1:
  // 110 mammograms rated Absent / Minimal / Moderate / Severe by two readers. The table, as shipped
  // in R's vcdExtra package (dataset Mammograms; cells read from the Rdatasets copy,
  // https://github.com/vincentarelbundock/Rdatasets/blob/master/csv/vcdExtra/Mammograms.csv,
  // rows Reader 2, columns Reader 1):
  //   Absent   34 10  2  0
  //   Minimal   6  8  8  2
  //   Moderate  2  5  4 12
  //   Severe    0  1  2 14
  // The vcdExtra reference page for Mammograms (https://friendly.github.io/vcdExtra/reference/Mammograms.html,
  // "Examples") prints vcd::Kappa(Mammograms):  Unweighted 0.3713,  Weighted 0.5964.
  // vcd::Kappa's default weights are "Equal-Spacing", 1 − |i − j|/(r − 1) (vcd manual, Kappa,
  // https://search.r-project.org/CRAN/refmans/vcd/html/Kappa.html): the linear weights used here.
  const mammograms = [
    [34, 10, 2, 0],
    [6, 8, 8, 2],
    [2, 5, 4, 12],
    [0, 1, 2, 14],
  ];

  it('Kundel & Polansky (2003) Table A1: κ = 0.3713, linear κw = 0.5964 (vcd::Kappa output)', () => {
    const t = table(mammograms);
    expect(t.n).toBe(110);
    expect(cohenKappa(t).value).toBeCloseTo(0.3713, 4);
    expect(weightedKappa(t, 'linear').value).toBeCloseTo(0.5964, 4);
  });

  it('gives the same values as agreement with the final grade on a 4-grade ordinal question', () => {
    // The same 110 pairs as one reader's grades against the final grade, on the form's four-grade
    // ordinal glaucoma-likelihood question (no / suspect / probable / definite).
    const codes = categoriesOf('glaucomaLikelihood');
    expect(codes).toHaveLength(4);
    const rows = pairsOf(mammograms).map(([reader, final], i) => ({
      readerId: 'r1',
      question: 'glaucomaLikelihood',
      eye: i % 2 ? ('OS' as const) : ('OD' as const),
      value: codes[reader],
      reference: codes[final],
    }));
    const [r1] = perReaderAgreement(FORM, rows);
    expect(r1).toMatchObject({ readerId: 'r1', skipped: 0, stats: { n: 110 } });
    expect(r1.stats?.kappa.value).toBeCloseTo(0.3713, 4);
    expect(r1.stats?.linearWeightedKappa?.value).toBeCloseTo(0.5964, 4);
  });
});

describe('quadratic weighted kappa and k-category PABAK against a published example', () => {
  // Gwet KL, R package irrCAC, dataset cont3x3abstractors (100 subjects, 2 abstractors, categories
  // Ectopic / AIU / NIU), printed in the package README (https://github.com/kgwet/irrCAC, README.md,
  // "Computing agreement Coefficients from Contingency tables"):
  //   Ectopic 13  0  0
  //   AIU      0 20  7
  //   NIU      0  4 56
  // with  kappa2.table → Cohen's Kappa 0.7964094;  bp2.table → Brennan-Prediger 0.835;
  //       pa2.table → Percent Agreement 0.89.
  // The vignette "Weighted Chance-corrected Agreement Coefficients" (Gwet 2019, irrCAC
  // vignettes/weighting.html, "Weighting ratings from a contingency table") applies
  // quadratic.weights(1:3), printed there as 1 .75 0 / .75 1 .75 / 0 .75 1 (our quadratic weights),
  // and prints kappa2.table → Cohen's Kappa 0.8921569 and pa2.table → Percent Agreement 0.9725
  // (the weighted observed agreement). The same two kappas appear as "Example output" at
  // https://rdrr.io/cran/irrCAC/man/kappa2.table.html.
  // irrCAC's Brennan–Prediger chance agreement is 1/q for q categories (the same README prints
  // pe = 0.2 for its five-category distrib.6raters), so the coefficient (pa − 1/q)/(1 − 1/q) is
  // algebraically the k-category PABAK (k·po − 1)/(k − 1) of Byrt, Bishop & Carlin (1993).
  const abstractors = [
    [13, 0, 0],
    [0, 20, 7],
    [0, 4, 56],
  ];

  it('irrCAC cont3x3abstractors: κ = 0.7964094, quadratic κw = 0.8921569 (weighted po 0.9725)', () => {
    const t = table(abstractors);
    expect(t.n).toBe(100);
    expect(percentExact(t)).toBeCloseTo(0.89, 7);
    expect(cohenKappa(t).value).toBeCloseTo(0.7964094, 7);
    const quadratic = weightedKappa(t, 'quadratic');
    expect(quadratic.po).toBeCloseTo(0.9725, 7);
    expect(quadratic.value).toBeCloseTo(0.8921569, 7);
  });

  it('irrCAC cont3x3abstractors: Brennan–Prediger = 3-category PABAK = 0.835', () => {
    expect(pabak(table(abstractors))).toBeCloseTo(0.835, 7);
  });

  it('gives the same values as intra-reader agreement on a 3-grade ordinal question', () => {
    // The same 100 pairs as one reader's hidden repeats, on the form's three-grade DME severity.
    const codes = categoriesOf('dmeSeverity');
    expect(codes).toHaveLength(3);
    const rows = pairsOf(abstractors).map(([first, repeat]) => ({ readerId: 'r1', question: 'dmeSeverity', eye: 'OD' as const, value: codes[repeat], reference: codes[first] }));
    const [r1] = intraReaderAgreement(FORM, rows);
    expect(r1.stats).toMatchObject({ n: 100, percentExact: expect.closeTo(0.89, 7), pabak: expect.closeTo(0.835, 7) });
    expect(r1.stats?.kappa.value).toBeCloseTo(0.7964094, 7);
    expect(r1.stats?.quadraticWeightedKappa?.value).toBeCloseTo(0.8921569, 7);
  });
});

describe('PABAK against published 2×2 examples', () => {
  // R package epiR, help page epi.kappa (M. Stevenson; https://rdrr.io/cran/epiR/man/epi.kappa.html,
  // source https://github.com/mstevenson888/epiR/blob/master/man/epi.kappa.Rd), "Examples". PABAK is
  // Byrt, Bishop & Carlin's (1993) prevalence- and bias-adjusted kappa, 2·po − 1 for two categories.

  it('epiR Example 1: salmon kidney IFAT in two laboratories, κ = 0.67, PABAK = 0.89', () => {
    // (The example names no source; the page's references include Dohoo, Martin & Stryhn 2010,
    // Veterinary Epidemiologic Research, pp. 98–99.) Kidney samples from 291 salmon, IFAT run by two laboratories: both positive 19, lab 1 positive
    // / lab 2 negative 10, lab 1 negative / lab 2 positive 6, both negative 256. The page states
    // "The proportion of agreement after chance has been excluded is 0.67" and "The prevalence and
    // bias corrected kappa statistic (PABAK) is 0.89".
    const t = table([
      [19, 10],
      [6, 256],
    ]);
    expect(cohenKappa(t).value).toBeCloseTo(0.67, 2);
    expect(pabak(t)).toBeCloseTo(0.89, 2);
  });

  it('epiR Example 2 (Watson & Petrie 2010, p. 1170; data of Silva et al. 2007): κ = 0.89, PABAK = 0.89', () => {
    // ELISA vs transrectal ultrasound for pregnancy in 1673 dairy cows: ELISA+/US+ 596, ELISA+/US− 61,
    // ELISA−/US+ 29, ELISA−/US− 987. The page states "The proportion of agreements after chance has
    // been excluded is 0.89" and "The prevalence and bias corrected kappa statistic (PABAK) is 0.89".
    const t = table([
      [596, 61],
      [29, 987],
    ]);
    expect(cohenKappa(t).value).toBeCloseTo(0.89, 2);
    expect(pabak(t)).toBeCloseTo(0.89, 2);
  });
});

describe('linear and quadratic weighted kappa: a table worked by hand', () => {
  // The published checks are above; this small 3×3 table (n = 10) is also worked by hand, to pin
  // po and pe exactly, from the definition κw = (po − pe)/(1 − pe) with agreement weights
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
