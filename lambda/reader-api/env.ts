import * as z from 'zod';
import { BaseEnvSchema } from '../runtime/env';
import { STREAMING_ENV } from '../runtime/streaming';

/** Environment of the reader API (`/me`, `/study`, `/queue`, `/queue/next`, `/assignments/{ref}/session`, `/assignments/{ref}/read`). */
export const ReaderApiEnvSchema = BaseEnvSchema.extend({
  ...STREAMING_ENV,
  /** The study file's `displayName` for `GET /study`; bundled like the reading config (../runtime/env.ts). */
  READROOM_STUDY_DISPLAY_NAME: z.string().min(1).max(100),
});
export type ReaderApiEnv = z.output<typeof ReaderApiEnvSchema>;
