import * as z from 'zod';
import { BaseEnvSchema } from '../runtime/env';

/** Environment of the reader API (`/me`, `/queue`, `/queue/next`, `/cases/{caseId}/session`, `/cases/{caseId}/read`). */
export const ReaderApiEnvSchema = BaseEnvSchema.extend({
  APPSTREAM_STACK_NAME: z.string().min(1),
  FLEET_NAME: z.string().min(1),
  /** Lifetime of a streaming URL (study config `streamingUrlValiditySeconds`, at most 300: the URL is a bearer credential). */
  STREAMING_URL_VALIDITY_SECONDS: z.coerce.number().int().min(1).max(300).default(60),
  /** The fleet's MaxUserDurationInSeconds: how long a session id stays usable after its URL is issued. */
  SESSION_MAX_SECONDS: z.coerce.number().int().min(600).max(360_000).default(14_400),
  /** Optional AppStream ApplicationId so the URL skips the catalogue and opens the viewer. */
  APPSTREAM_APPLICATION_ID: z.string().min(1).max(128).optional(),
});
export type ReaderApiEnv = z.output<typeof ReaderApiEnvSchema>;
