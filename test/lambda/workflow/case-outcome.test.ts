/** Deciding a case from its first reads (domain discordance; the wiring is ReadRoom's). */
import { ReadingConfigSchema } from '../../../lib/config/reading';
import { decideCaseOutcome, QA_SAMPLE_RULE } from '../../../lambda/shared/workflow/case-outcome';
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

test('a safety rule (D5 urgent referral) opens a safety-priority task with the pair', () => {
  const out = decideCaseOutcome(config, 'C1', facts, [read('a'), read('b', { referral: 'urgent' })]);
  expect(out).toMatchObject({ kind: 'adjudication', priority: 'safety', pair: [{ readerId: 'a' }, { readerId: 'b' }] });
});

test('three reads: the first discordant pair opens the task', () => {
  const out = decideCaseOutcome(config, 'C1', facts, [read('a'), read('b'), read('c', { icdr: 'pdr' })]);
  expect(out).toMatchObject({ kind: 'adjudication', pair: [{ readerId: 'a' }, { readerId: 'c' }] });
});

test('the task names every reader of the case, not only the pair (none of them may adjudicate it)', () => {
  const out = decideCaseOutcome(config, 'C1', facts, [read('a'), read('b'), read('c', { icdr: 'pdr' })]);
  expect(out).toMatchObject({ kind: 'adjudication', readerIds: ['a', 'b', 'c'] });
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
