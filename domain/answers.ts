/**
 * One reader's answers, as the portal sends them, the validator normalises them (./form/validator.ts)
 * and the table stores them:
 *
 *   { eyes: { OD?: { [questionKey]: value }, OS?: {...} }, participant: { [questionKey]: value } }
 *
 * Values: single/ordinal → the option's value (the number itself for numeric-only options); multi →
 * a non-empty list of option values in form order; number → a number, or 'unable' where allowed;
 * bool → true/false; text → trimmed NFC text. A key that is absent is unanswered.
 */
import type { Eye } from './case';

export type AnswerValue = string | number | boolean | string[];
export type ScopeAnswers = Record<string, AnswerValue>;

export interface NormalisedAnswers {
  eyes: Partial<Record<Eye, ScopeAnswers>>;
  participant: ScopeAnswers;
}
