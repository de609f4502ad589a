import type * as z from 'zod';
import { BaseEnvSchema } from '../runtime/env';
import { STREAMING_ENV } from '../runtime/streaming';

/** Environment of the reader API (`/me`, `/queue`, `/queue/next`, `/assignments/{ref}/session`, `/assignments/{ref}/read`). */
export const ReaderApiEnvSchema = BaseEnvSchema.extend(STREAMING_ENV);
export type ReaderApiEnv = z.output<typeof ReaderApiEnvSchema>;
