import * as z from 'zod';
import { BaseEnvSchema } from '../runtime/env';

/** Environment of `GET /fleet/case-files` (private REST API, called from streaming instances). */
export const CaseFilesEnvSchema = BaseEnvSchema.pick({ STUDY_ID: true, TABLE_NAME: true }).extend({
  BUCKET_NAME: z.string().min(3),
  APPSTREAM_STACK_NAME: z.string().min(1),
  FLEET_NAME: z.string().min(1),
  /** Lifetime of each presigned GET URL; at most 5 minutes (the viewer fetches right away). */
  CASE_FILES_URL_SECONDS: z.coerce.number().int().min(10).max(300).default(300),
});
export type CaseFilesEnv = z.output<typeof CaseFilesEnvSchema>;
