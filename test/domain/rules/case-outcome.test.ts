/** Deciding a case from its first reads (domain discordance; the wiring is ReadRoom's). */
import { ReadingConfigSchema } from '../../../domain/reading-config';
import { decideCaseOutcome, maskReads, QA_SAMPLE_RULE, type CaseOutcome } from '../../../domain/rules/case-outcome';
import { grade } from '../../helpers/grades';
import { validAnswers } from '../../helpers/reading-fixtures';

const config = ReadingConfigSchema.parse({});
const facts = { octPresent: false };
const read = (readerId: string, g: Parameters<typeof validAnswers>[0] = {}) => ({ readerId, readNo: 1, answers: validAnswers(g) });

test('one read: single_read final', () => {
  expect(decideCaseOutcome(config, 'C1', facts, [read('a')])).toMatchObject({ kind: 'final', final: { provenance: 'single_read' } });
});

test('two concordant reads: concordant final', () => {
  expect(decideCaseOutcome(config, 'C1', facts, [read('a'), read('b')])).toMatchObject({ kind: 'final', final: { provenance: 'concordant' } });
});

test('a safety rule (D5 urgent referral) opens a safety-priority task with both reads', () => {
  const out = decideCaseOutcome(config, 'C1', facts, [read('a'), read('b', { referral: 'urgent' })]);
  expect(out).toMatchObject({ kind: 'adjudication', priority: 'safety' });
  expect(readersOf(out)).toEqual(['a', 'b']);
});

const readersOf = (o: CaseOutcome) => (o.kind === 'adjudication' ? o.reads.map((r) => r.readerId).sort() : []);
const rulesOf = (o: CaseOutcome) => (o.kind === 'adjudication' ? [...new Set(o.reasons.map((r) => r.rule))].sort() : []);
const answers = (readerId: string, over: Parameters<typeof grade>[0]) => ({ readerId, readNo: 1, answers: grade(over) });

describe('k ≥ 3: the outcome considers every read (issue 9, item 2)', () => {
  test('three reads: the task shows all three, masked A, B, C', () => {
    const out = decideCaseOutcome(config, 'C1', facts, [read('a'), read('b'), read('c', { icdr: 'pdr' })]);
    expect(out.kind).toBe('adjudication');
    expect(readersOf(out)).toEqual(['a', 'b', 'c']);
    expect(out.kind === 'adjudication' && out.reads.map((r) => r.label)).toEqual(['A', 'B', 'C']);
  });

  test('an urgent referral in the third read is D5 at safety priority, beside the D6 of the first', () => {
    const out = decideCaseOutcome(config, 'C1', facts, [
      answers('r0', { OD: { otherFindings: ['other'], otherText: 'x' } }),
      answers('r1', {}),
      answers('r2', { participant: { referral: 'urgent' } }),
    ]);
    expect(out).toMatchObject({ kind: 'adjudication', priority: 'safety' });
    expect(rulesOf(out)).toEqual(['D5', 'D6']);
  });

  test('a DR discordance between two reads and an urgent third read: D2 and D5, safety priority', () => {
    const out = decideCaseOutcome(config, 'C1', facts, [
      answers('r0', { OD: { icdrLevel: 'pdr' } }),
      answers('r1', { OD: { icdrLevel: 'none' } }),
      answers('r2', { participant: { referral: 'urgent' } }),
    ]);
    expect(out).toMatchObject({ kind: 'adjudication', priority: 'safety' });
    expect(rulesOf(out)).toEqual(['D2', 'D5']);
  });

  test('a reason that fires on several pairs is one reason whose detail names each pair by its labels', () => {
    const reads = [answers('r0', { OD: { icdrLevel: 'pdr' } }), answers('r1', {}), answers('r2', {})];
    const out = decideCaseOutcome(config, 'C1', facts, reads);
    if (out.kind !== 'adjudication') throw new Error('expected adjudication');
    const d2 = out.reasons.filter((r) => r.rule === 'D2' && r.question === 'icdrLevel');
    expect(d2).toHaveLength(1);
    const pdr = out.reads.find((r) => r.readerId === 'r0')!.label;
    const others = out.reads.filter((r) => r.readerId !== 'r0').map((r) => r.label);
    for (const other of others) expect(d2[0].detail).toMatch(new RegExp(`read (${pdr} "pdr", read ${other} "none"|${other} "none", read ${pdr} "pdr")`));
  });

  test('the order reads arrive in changes nothing', () => {
    const reads = [answers('r0', { OD: { icdrLevel: 'pdr' } }), answers('r1', {}), answers('r2', { participant: { referral: 'urgent' } })];
    expect(decideCaseOutcome(config, 'C9', facts, [...reads].reverse())).toEqual(decideCaseOutcome(config, 'C9', facts, reads));
  });

  test('concordant third read: the final merges all three (the more severe grade kept)', () => {
    const out = decideCaseOutcome(config, 'C-FINAL', facts, [answers('r0', {}), answers('r1', {}), answers('r2', { OD: { vcdr: 0.4 } })]);
    expect(out.kind === 'final' && out.final.value.eyes.OD?.vcdr).toBe(0.4);
  });
});

describe('masking (which read is A)', () => {
  const r = (readerId: string) => ({ readerId, readNo: 1 });

  test('is stable per case whatever order the reads come in', () => {
    expect(maskReads('C1', [r('r1'), r('r2'), r('r3')])).toEqual(maskReads('C1', [r('r3'), r('r1'), r('r2')]));
  });

  test('is not always the first submitter', () => {
    const firstIsA = Array.from({ length: 200 }, (_, i) => maskReads(`C${i}`, [r('r1'), r('r2')])[0].readerId === 'r1').filter(Boolean).length;
    expect(firstIsA).toBeGreaterThan(60);
    expect(firstIsA).toBeLessThan(140);
  });

  test("the reasons' 'read X' name each read by the label it is stored under", () => {
    for (const caseId of ['M1', 'M2', 'M3', 'M4', 'M5', 'M6']) {
      const out = decideCaseOutcome(config, caseId, facts, [answers('r1', { OD: { icdrLevel: 'mild_npdr' } }), answers('r2', { OD: { icdrLevel: 'severe_npdr' } })]);
      if (out.kind !== 'adjudication') throw new Error('expected adjudication');
      const labelOf = (id: string) => out.reads.find((x) => x.readerId === id)!.label;
      const [first, second] = [labelOf('r1'), labelOf('r2')].sort();
      const valueOf = (label: string) => (label === labelOf('r1') ? 'mild_npdr' : 'severe_npdr');
      expect(out.reasons[0].detail).toBe(`on different sides of the threshold (code ≥ 2): read ${first} "${valueOf(first)}", read ${second} "${valueOf(second)}"`);
    }
  });
});

test('the task names every reader of the case, not only the pair (none of them may adjudicate it)', () => {
  const out = decideCaseOutcome(config, 'C1', facts, [read('a'), read('b'), read('c', { icdr: 'pdr' })]);
  expect(out.kind === 'adjudication' && [...out.readerIds].sort()).toEqual(['a', 'b', 'c']);
});

test('a concordant pair that kept the more severe grade is sometimes sampled for QA, with its final kept', () => {
  // D2 samples 10 % of below-threshold differences by a stable hash of the case id (domain
  // `inSample`): look for sampled ids among many; the draw itself is the domain's to test.
  const outcomes = Array.from({ length: 500 }, (_, i) => decideCaseOutcome(config, `K${2024 + (i % 3)}-${String(i * 7919).padStart(6, '0')}`, facts, [read('a', { icdr: 'none' }), read('b', { icdr: 'mild_npdr' })]));
  const sampled = outcomes.filter((o) => o.kind === 'adjudication');
  expect(sampled.length).toBeGreaterThan(0);
  expect(outcomes.filter((o) => o.kind === 'final').every((o) => o.kind === 'final' && o.final.provenance === 'concordant')).toBe(true);
  expect(sampled[0]).toMatchObject({ priority: 'low', reasons: [{ rule: QA_SAMPLE_RULE, question: 'icdrLevel' }], final: { provenance: 'concordant' } });
});
