import * as z from 'zod';
import { BaseEnvSchema } from '../runtime/env';

/** Environment of the manifest registration function (no form needed: it never sees answers). */
export const RegisterCaseEnvSchema = BaseEnvSchema.pick({ STUDY_ID: true, TABLE_NAME: true }).extend({
  /** The scans bucket; events from any other bucket are ignored. */
  BUCKET_NAME: z.string().min(3),
});
export type RegisterCaseEnv = z.output<typeof RegisterCaseEnvSchema>;
