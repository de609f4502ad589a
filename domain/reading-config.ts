/**
 * The study's reading configuration: the per-eye diagnosis form (./form/schema.ts), the
 * discordance rules that open adjudication (./rules/schema.ts), and the assignment settings. Pure
 * zod (no aws-cdk-lib): the CDK app validates it at synth time (lib/config/schema.ts) and the
 * reading functions and the portal use the same types at run time.
 *
 * The defaults are data: the eye form of reading.md section (b) in ./forms/eye-default.json and
 * rules D1–D6 of section (c) in ./forms/rules-d1-d6.json (./forms/README.md).
 */
import * as z from 'zod';
import { FormSchema, type Form, type FormInput } from './form/schema';
import { DiscordanceRulesSchema, ruleProblems, type DiscordanceRule } from './rules/schema';
import eyeDefaultForm from './forms/eye-default.json';
import rulesD1ToD6 from './forms/rules-d1-d6.json';

export const AssignmentSettingsSchema = z.strictObject({
  readsPerCase: z.number().int().min(1).max(5).default(2),
  maxOpenPerReader: z.number().int().min(1).max(1000).default(10),
  /** Share of each reader's submitted cases re-issued as hidden repeats (intra-reader agreement). */
  hiddenRepeatShare: z.number().min(0).max(0.2).default(0.05),
  /** A repeat is issued no sooner than this many days after the original read (Moorfields: 14). */
  hiddenRepeatMinDays: z.number().int().min(1).max(365).default(14),
});
export type AssignmentSettings = z.infer<typeof AssignmentSettingsSchema>;

/** Rules name questions of the form they run on, with the options and scales those questions have. */
function refineReading(config: { form: Form; discordanceRules: DiscordanceRule[] }, ctx: z.RefinementCtx): void {
  for (const p of ruleProblems(config.form, config.discordanceRules)) {
    ctx.addIssue({ code: 'custom', path: ['discordanceRules', p.index, ...p.path], message: p.message });
  }
}

// The JSON files are checked by these very schemas when the module loads (DEFAULT_FORM below).
const DEFAULT_FORM_INPUT = eyeDefaultForm as FormInput;
const DEFAULT_RULES_INPUT = rulesD1ToD6 as z.input<typeof DiscordanceRulesSchema>;

export const ReadingConfigSchema = z
  .strictObject({
    form: FormSchema.prefault(DEFAULT_FORM_INPUT),
    discordanceRules: DiscordanceRulesSchema.prefault(DEFAULT_RULES_INPUT),
    assignment: AssignmentSettingsSchema.prefault({}),
  })
  .superRefine(refineReading);
export type ReadingConfig = z.infer<typeof ReadingConfigSchema>;
export type ReadingConfigInput = z.input<typeof ReadingConfigSchema>;

export const DEFAULT_FORM: Form = FormSchema.parse(DEFAULT_FORM_INPUT);
export const DEFAULT_DISCORDANCE_RULES: DiscordanceRule[] = DiscordanceRulesSchema.parse(DEFAULT_RULES_INPUT);
