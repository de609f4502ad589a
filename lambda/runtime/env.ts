import * as z from 'zod';
import { ReadingConfigSchema } from '../../domain/reading-config';

/**
 * Environment contract shared by the reading functions. The CDK side builds `environment` typed
 * as `z.input` of a function's schema; the handler parses `process.env` once at cold start and
 * fails loudly on a mismatch.
 *
 * `READROOM_READING_CONFIG` (the form and rules, JSON) is too large for Lambda's 4 KB of
 * environment, so the bundler inlines it as a constant (esbuild `define` of this exact
 * expression); tests and the local reading room set it as a real variable. Same code path. The
 * study's display name (`READROOM_STUDY_DISPLAY_NAME`, for `GET /study`) is bundled the same way,
 * beside the reading config it describes.
 */
export const BaseEnvSchema = z.object({
  STUDY_ID: z.string().min(1),
  TABLE_NAME: z.string().min(1),
  READROOM_READING_CONFIG: z
    .string()
    .min(2)
    .transform((s, ctx) => {
      try {
        return ReadingConfigSchema.parse(JSON.parse(s));
      } catch (e) {
        ctx.addIssue({ code: 'custom', message: `is not a valid reading config: ${(e as Error).message}` });
        return z.NEVER;
      }
    }),
});

/** Parses the environment with `schema`, naming every missing or bad variable. */
export function loadEnv<S extends z.ZodType>(schema: S): z.output<S> {
  const source = { ...process.env, READROOM_READING_CONFIG: process.env.READROOM_READING_CONFIG, READROOM_STUDY_DISPLAY_NAME: process.env.READROOM_STUDY_DISPLAY_NAME };
  const parsed = schema.safeParse(source);
  if (!parsed.success) {
    throw new Error(`Invalid function environment: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  return parsed.data;
}
