/**
 * What happens to a case when its last required read arrives: a final grade (concordant, or
 * single_read when the study reads each case once) or an adjudication task. Pure: the reader API
 * writes the outcome in the same transaction as the k-th submission (so a case can never be left
 * with all reads in and no outcome), and the adjudication/coordinator functions can call it again.
 *
 * With more than two reads per case (configurable up to 5) the reads are compared pairwise: the
 * first discordant pair, in the order given, opens the task; if every pair is concordant their
 * answers are merged pair by pair. Discordance rules are defined on pairs (reading.md D1–D6).
 */
import type { Priority, ReadingConfig } from '../../../lib/config/reading';
import { concordantFinal, evaluateDiscordance, needsQaSample, singleReadFinal, type DiscordanceReason, type FinalGrade } from '../domain/discordance';
import type { CaseFacts, NormalisedAnswers } from '../domain/form-validator';

export interface OutcomeRead {
  readerId: string;
  readNo: number;
  answers: NormalisedAnswers;
}

export type CaseOutcome =
  | { kind: 'final'; final: FinalGrade }
  | {
      kind: 'adjudication';
      reasons: DiscordanceReason[];
      priority: Priority;
      /** The two reads the adjudicator compares (masked as A/B by the task). */
      pair: [OutcomeRead, OutcomeRead];
      /**
       * The readers of every read decided on, not only the pair (k ≥ 3): none of them may
       * adjudicate the case, and the task keeps them so the adjudicators' list can leave it out.
       */
      readerIds: string[];
      /** A concordant case sampled for senior QA keeps its concordant final until the review replaces it. */
      final?: FinalGrade;
    };

/** The rule id of a senior-QA sample (reading.md D2: a share of below-threshold differences). */
export const QA_SAMPLE_RULE = 'QA';

export function decideCaseOutcome(config: Pick<ReadingConfig, 'form' | 'discordanceRules'>, caseId: string, facts: CaseFacts, reads: readonly OutcomeRead[]): CaseOutcome {
  if (reads.length === 0) throw new Error('decideCaseOutcome needs at least one read');
  if (reads.length === 1) return { kind: 'final', final: singleReadFinal(reads[0].answers) };
  const readerIds = [...new Set(reads.map((r) => r.readerId))];
  for (let i = 0; i < reads.length; i++) {
    for (let j = i + 1; j < reads.length; j++) {
      const result = evaluateDiscordance(config.form, config.discordanceRules, reads[i].answers, reads[j].answers);
      if (result.discordant) return { kind: 'adjudication', reasons: result.reasons, priority: result.priority, pair: [reads[i], reads[j]], readerIds };
    }
  }
  let merged = concordantFinal(config.form, reads[0].answers, reads[1].answers, facts);
  for (const next of reads.slice(2)) {
    const more = concordantFinal(config.form, merged.value, next.answers, facts);
    merged = { ...more, notes: [...merged.notes, ...more.notes] };
  }
  if (needsQaSample(config.discordanceRules, merged, caseId)) {
    const questions = [...new Set(merged.notes.filter((n) => n.kind === 'moreSevere').map((n) => n.question))];
    return {
      kind: 'adjudication',
      reasons: questions.map((question) => ({ rule: QA_SAMPLE_RULE, question, detail: 'concordant pair sampled for senior QA (the more severe grade was kept)' })),
      priority: 'low',
      pair: [reads[0], reads[1]],
      readerIds,
      final: merged,
    };
  }
  return { kind: 'final', final: merged };
}
