import * as z from 'zod';
import { BaseEnvSchema } from '../shared/env';

/** The coordinator API also writes exports to the scans bucket (under `exports/`). */
export const CoordinatorEnvSchema = BaseEnvSchema.extend({
  BUCKET_NAME: z.string().min(3),
});
export type CoordinatorEnv = z.output<typeof CoordinatorEnvSchema>;
