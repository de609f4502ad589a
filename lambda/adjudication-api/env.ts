import type { z } from 'zod';
import { BaseEnvSchema } from '../runtime/env';

/** The adjudication API needs only the table and the reading config (form, rules). */
export const AdjudicationEnvSchema = BaseEnvSchema;
export type AdjudicationEnv = z.output<typeof AdjudicationEnvSchema>;
