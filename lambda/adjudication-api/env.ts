import type * as z from 'zod';
import { BaseEnvSchema } from '../runtime/env';
import { STREAMING_ENV } from '../runtime/streaming';

/**
 * The adjudication API needs the table, the reading config (form, rules) and, for sessions on a
 * task's images, the same streaming settings as the reader API.
 */
export const AdjudicationEnvSchema = BaseEnvSchema.extend(STREAMING_ENV);
export type AdjudicationEnv = z.output<typeof AdjudicationEnvSchema>;
