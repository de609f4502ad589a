/**
 * Valid answers for the default form, for tests of adjudication and export: `grade({ OD: {...} })`
 * starts from a healthy, gradable eye and applies per-eye and participant overrides.
 */
import { DEFAULT_FORM, ReadingConfigSchema, type ReadingConfig } from '../../domain/reading-config';
import type { AnswerValue, NormalisedAnswers, ScopeAnswers } from '../../domain/answers';
import { validateAnswers } from '../../domain/form/validator';

export const CONFIG: ReadingConfig = ReadingConfigSchema.parse({});
export const FACTS = { octPresent: false };

export const HEALTHY_EYE: ScopeAnswers = {
  fundusQuality: 'good',
  icdrLevel: 'none',
  dme: 'absent',
  beckmanClass: 'no_aging_changes',
  vcdr: 0.3,
  glaucomaLikelihood: 'no',
};

type Overrides = Record<string, AnswerValue | undefined>;

/** Overrides per scope; `undefined` removes an answer. */
export function grade(over: { OD?: Overrides; OS?: Overrides; participant?: Overrides } = {}): NormalisedAnswers {
  const answers = {
    eyes: { OD: { ...HEALTHY_EYE, ...over.OD }, OS: { ...HEALTHY_EYE, ...over.OS } },
    participant: { referral: 'none', ...over.participant },
  };
  for (const scope of [answers.eyes.OD, answers.eyes.OS, answers.participant] as Record<string, unknown>[]) {
    for (const [k, v] of Object.entries(scope)) if (v === undefined) delete scope[k];
  }
  const checked = validateAnswers(DEFAULT_FORM, answers, FACTS, { mode: 'submit' });
  if (!checked.ok) throw new Error(`fixture is not a valid read: ${JSON.stringify(checked.errors)}`);
  return checked.value;
}
