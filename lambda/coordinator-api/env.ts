import * as z from 'zod';
import { BaseEnvSchema } from '../runtime/env';

/**
 * The coordinator API also writes exports to the scans bucket (under `exports/`), and bulk
 * assignment reads the readers and their sites from the user pool's reader group.
 */
export const CoordinatorEnvSchema = BaseEnvSchema.extend({
  BUCKET_NAME: z.string().min(3),
  /** The study's user pool (its `reader` group is the directory bulk assignment draws from). */
  USER_POOL_ID: z.string().min(1),
});
export type CoordinatorEnv = z.output<typeof CoordinatorEnvSchema>;
