/**
 * What happens to a case when its last required read arrives: a final grade (concordant, or
 * single_read when the study reads each case once) or an adjudication task. Pure: the reader API
 * writes the outcome in the same transaction as the k-th submission (so a case can never be left
 * with all reads in and no outcome), and the adjudication/coordinator functions can call it again.
 *
 * Every read counts (k ≥ 3 too, up to 5): the reads are masked as A, B, C … first, then every pair
 * is compared (reading.md D1–D6 are rules on pairs). The task takes the reasons of every pair (one
 * reason per rule, question and eye, its detail naming each pair it fired on), the highest priority
 * of any pair, and so D5 from any single read. The adjudicator is shown all reads, by label.
 */
import type { Priority } from './schema';
import type { ReadingConfig } from '../reading-config';
import { hash32 } from '../assignment/plan';
import {
  evaluateDiscordance,
  highestPriority,
  mergeReads,
  needsQaSample,
  READ_LABELS,
  singleReadFinal,
  type DiscordanceReason,
  type FinalGrade,
  type ReadLabel,
} from './discordance';
import type { CaseFacts } from '../case';
import type { NormalisedAnswers } from '../answers';

export interface OutcomeRead {
  readerId: string;
  readNo: number;
  answers: NormalisedAnswers;
}

export type LabelledRead = OutcomeRead & { label: ReadLabel };

export type CaseOutcome =
  | { kind: 'final'; final: FinalGrade }
  | {
      kind: 'adjudication';
      reasons: DiscordanceReason[];
      priority: Priority;
      /** Every read decided on, masked as A, B, C … in label order: the adjudicator sees them all. */
      reads: LabelledRead[];
      /**
       * The readers of every read decided on: none of them may adjudicate the case, and the task
       * keeps them so the adjudicators' list can leave it out.
       */
      readerIds: string[];
      /** A concordant case sampled for senior QA keeps its concordant final until the review replaces it. */
      final?: FinalGrade;
    };

/** The rule id of a senior-QA sample (reading.md D2: a share of below-threshold differences). */
export const QA_SAMPLE_RULE = 'QA';

/**
 * Labels the reads A, B, C … by a hash of case, reader and read number: stable for a case (the same
 * reads always get the same labels, whatever order they arrive in), and "A" is neither always the
 * first submitter nor always the same reader across cases (either would tell who is who).
 */
export function maskReads<T extends Pick<OutcomeRead, 'readerId' | 'readNo'>>(caseId: string, reads: readonly T[]): Array<T & { label: ReadLabel }> {
  if (reads.length > READ_LABELS.length) throw new Error(`at most ${READ_LABELS.length} reads per case`);
  const h = (r: T) => hash32(`${caseId}\u0000${r.readerId}\u0000${r.readNo}`);
  const order = (a: T, b: T) => h(a) - h(b) || (a.readerId < b.readerId ? -1 : a.readerId > b.readerId ? 1 : a.readNo - b.readNo);
  return [...reads].sort(order).map((r, i) => ({ ...r, label: READ_LABELS[i] }));
}

/** Every pair's reasons; one per (rule, question, eye), its details joined when it fired on several pairs. */
function allPairs(config: Pick<ReadingConfig, 'form' | 'discordanceRules'>, reads: readonly LabelledRead[]): { reasons: DiscordanceReason[]; priority: Priority } {
  const byKey = new Map<string, DiscordanceReason>();
  const fired: Priority[] = [];
  for (let i = 0; i < reads.length; i++) {
    for (let j = i + 1; j < reads.length; j++) {
      const result = evaluateDiscordance(config.form, config.discordanceRules, reads[i].answers, reads[j].answers, [reads[i].label, reads[j].label]);
      if (!result.discordant) continue;
      fired.push(result.priority);
      for (const r of result.reasons) {
        const key = `${r.rule}\u0000${r.question}\u0000${r.eye ?? ''}`;
        const seen = byKey.get(key);
        if (!seen) byKey.set(key, { ...r });
        else if (!seen.detail.split('; ').includes(r.detail)) seen.detail = `${seen.detail}; ${r.detail}`;
      }
    }
  }
  return { reasons: [...byKey.values()], priority: highestPriority(fired) };
}

export function decideCaseOutcome(config: Pick<ReadingConfig, 'form' | 'discordanceRules'>, caseId: string, facts: CaseFacts, reads: readonly OutcomeRead[]): CaseOutcome {
  if (reads.length === 0) throw new Error('decideCaseOutcome needs at least one read');
  if (reads.length === 1) return { kind: 'final', final: singleReadFinal(reads[0].answers) };
  const labelled = maskReads(caseId, reads);
  const readerIds = [...new Set(labelled.map((r) => r.readerId))];
  const { reasons, priority } = allPairs(config, labelled);
  if (reasons.length > 0) return { kind: 'adjudication', reasons, priority, reads: labelled, readerIds };

  const merged = mergeReads(config.form, labelled.map((r) => r.answers), facts);
  if (needsQaSample(config.discordanceRules, merged, caseId)) {
    const questions = [...new Set(merged.notes.filter((n) => n.kind === 'moreSevere').map((n) => n.question))];
    return {
      kind: 'adjudication',
      reasons: questions.map((question) => ({ rule: QA_SAMPLE_RULE, question, detail: 'concordant reads sampled for senior QA (the more severe grade was kept)' })),
      priority: 'low',
      reads: labelled,
      readerIds,
      final: merged,
    };
  }
  return { kind: 'final', final: merged };
}
