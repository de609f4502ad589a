import * as z from 'zod';
import { BaseEnvSchema } from '../shared/env';

/**
 * The adjudication API needs the table and the reading config (form, rules) and, since it issues
 * the adjudicator's image session (`POST /adjudications/{caseId}/session`), the reader API's
 * streaming settings.
 */
export const AdjudicationEnvSchema = BaseEnvSchema.extend({
  APPSTREAM_STACK_NAME: z.string().min(1),
  FLEET_NAME: z.string().min(1),
  /** Lifetime of a streaming URL (study config `streamingUrlValiditySeconds`, at most 300: the URL is a bearer credential). */
  STREAMING_URL_VALIDITY_SECONDS: z.coerce.number().int().min(1).max(300).default(60),
  /** The fleet's MaxUserDurationInSeconds: how long a session id stays usable after its URL is issued. */
  SESSION_MAX_SECONDS: z.coerce.number().int().min(600).max(360_000).default(14_400),
});
export type AdjudicationEnv = z.output<typeof AdjudicationEnvSchema>;
