import * as z from 'zod';
import { BaseEnvSchema } from '../runtime/env';

/** The worker writes the export files to the scans bucket (under `exports/`). */
export const ExportWorkerEnvSchema = BaseEnvSchema.extend({
  BUCKET_NAME: z.string().min(3),
});
export type ExportWorkerEnv = z.output<typeof ExportWorkerEnvSchema>;
