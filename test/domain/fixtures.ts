/** Answers built on the default form, shared by the domain tests. */
import { DEFAULT_FORM } from '../../domain/reading-config';
import { type Eye } from '../../domain/form/schema';
import { validateAnswers } from '../../domain/form/validator';
import { type CaseFacts } from '../../domain/case';
import { type NormalisedAnswers, type ScopeAnswers } from '../../domain/answers';

export const FORM = DEFAULT_FORM;
export const FACTS: CaseFacts = { octPresent: true };

/** A gradable eye with every required question answered (and OCT quality, since OCT is present). */
export function gradableEye(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    fundusQuality: 'good',
    octQuality: 'good',
    icdrLevel: 'none',
    dme: 'absent',
    beckmanClass: 'no_aging_changes',
    vcdr: 0.3,
    glaucomaLikelihood: 'no',
    ...overrides,
  };
}

export function answers(od: Record<string, unknown> = {}, os: Record<string, unknown> = {}, participant: Record<string, unknown> = {}) {
  return { eyes: { OD: gradableEye(od), OS: gradableEye(os) }, participant: { referral: 'none', ...participant } };
}

/** Validates in submit mode and returns the normalised read; fails the test if invalid. */
export function read(od: Record<string, unknown> = {}, os: Record<string, unknown> = {}, participant: Record<string, unknown> = {}, facts: CaseFacts = FACTS): NormalisedAnswers {
  const result = validateAnswers(FORM, answers(od, os, participant), facts, { mode: 'submit' });
  if (!result.ok) throw new Error(`fixture is invalid: ${JSON.stringify(result.errors)}`);
  return result.value;
}

export const eyeOf = (r: NormalisedAnswers, eye: Eye): ScopeAnswers => r.eyes[eye]!;
