/**
 * Discordance rules as a study file states them: each compares the independent reads of one
 * question (per eye for per-eye questions) and, when it fires, opens an adjudication or review task
 * with its priority. ./discordance.ts runs them; `ruleProblems` checks them against the form.
 */
import * as z from 'zod';
import { conditionValue, isChoice, isCoded, KeySchema, optionEntries, OptionValueSchema, type Form, type Path, type Question } from '../form/schema';

export const PrioritySchema = z.enum(['normal', 'low', 'safety']);
export type Priority = z.infer<typeof PrioritySchema>;

const rule = <K extends string, S extends z.ZodRawShape>(kind: K, shape: S, priority: Priority = 'normal') =>
  z.strictObject({
    /** Label shown with the reason, e.g. 'D2'; several rules may share one. */
    id: z.string().min(1).max(32),
    kind: z.literal(kind),
    question: KeySchema,
    priority: PrioritySchema.default(priority),
    ...shape,
  });

const CodeOrValueSchema = z.union([z.number(), OptionValueSchema]);

export const DiscordanceRuleSchema = z.discriminatedUnion('kind', [
  /** Fires when one read calls the eye gradable and the other does not. */
  rule('gradability', { ungradableCodes: z.array(z.number().int()).min(1) }),
  /**
   * Fires when the reads fall on different sides of `threshold` (code ≥ threshold), or, when
   * `maxStepDiff` is set, differ by more than that many steps. `qaSampleShare` of the concordant
   * pairs that differ below the threshold go to senior QA.
   */
  rule('ordinalThreshold', {
    threshold: z.number(),
    maxStepDiff: z.number().int().min(0).optional(),
    qaSampleShare: z.number().min(0).max(1).default(0),
  }),
  /** Fires on any difference (multi-choice answers compare as sets). */
  rule('anyDifference', {}),
  /** Fires when the reads fall in different groups; groups list codes (or values of uncoded options). */
  rule('classGroups', { groups: z.array(z.array(CodeOrValueSchema).min(1)).min(2) }),
  /** Fires when |a − b| ≥ delta, or when only one read answered 'unable'. */
  rule('numberDelta', { delta: z.number().positive() }),
  /** Fires when either read holds `value`, whatever the other says. */
  rule('valueTriggersReview', { value: z.union([z.number(), OptionValueSchema, z.boolean()]) }, 'safety'),
  /** Fires when either read answered the question at all (e.g. a free-text "other"). */
  rule('answerTriggersReview', {}, 'low'),
]);
export type DiscordanceRule = z.infer<typeof DiscordanceRuleSchema>;
export const DiscordanceRulesSchema = z.array(DiscordanceRuleSchema).max(100);

function questionIndex(form: Form): Map<string, Question> {
  return new Map(form.sections.flatMap((s) => s.questions.map((q) => [q.key, q] as const)));
}

function ruleProblem(r: DiscordanceRule, q: Question): { path: Path; message: string } | undefined {
  const codes = isCoded(q) ? optionEntries(q).map((o) => o.code as number) : undefined;
  const need = (ok: boolean, message: string, path: Path = ['question']) => (ok ? undefined : { path, message });
  switch (r.kind) {
    case 'gradability':
      return (
        need(codes !== undefined && q.type !== 'multi', `'${q.key}' must be a coded single or ordinal question`) ??
        need(r.ungradableCodes.every((c) => codes!.includes(c)), `must be codes of '${q.key}' (${codes!.join(', ')})`, ['ungradableCodes'])
      );
    case 'ordinalThreshold':
      return (
        need(q.type === 'ordinal' && codes !== undefined, `'${q.key}' must be an ordinal question with coded options`) ??
        need(codes!.includes(r.threshold), `must be a code of '${q.key}' (${codes!.join(', ')})`, ['threshold'])
      );
    case 'anyDifference':
      return need(q.type !== 'text' && q.type !== 'derived', `'${q.key}' is ${q.type}; free text and derived items cannot be compared`);
    case 'classGroups': {
      if (!isChoice(q) || q.type === 'multi') return need(false, `'${q.key}' must be a single or ordinal question`);
      const all = optionEntries(q).map(conditionValue);
      const listed = r.groups.flat();
      const exact = listed.length === all.length && new Set(listed).size === all.length && listed.every((v) => all.includes(v));
      return need(exact, `groups must list every option of '${q.key}' exactly once (${all.join(', ')})`, ['groups']);
    }
    case 'numberDelta':
      return need(q.type === 'number', `'${q.key}' must be a number question`);
    case 'valueTriggersReview': {
      const allowed: unknown[] = q.type === 'bool' ? [true, false] : isChoice(q) ? optionEntries(q).map((o) => o.value) : [];
      return need(allowed.includes(r.value), `must be an answer value of '${q.key}' (${allowed.join(', ') || 'a choice or bool question'})`, ['value']);
    }
    case 'answerTriggersReview':
      return need(q.type !== 'derived', `'${q.key}' is derived and never answered`);
  }
}

/** Each rule checked against the question it names in `form`: the path (under the rule) and the problem. */
export function ruleProblems(form: Form, rules: readonly DiscordanceRule[]): Array<{ index: number; path: Path; message: string }> {
  const questions = questionIndex(form);
  return rules.flatMap((r, index) => {
    const q = questions.get(r.question);
    const problem = q ? ruleProblem(r, q) : { path: ['question'], message: `'${r.question}' is not a question of form '${form.formId}'` };
    return problem ? [{ index, ...problem }] : [];
  });
}
