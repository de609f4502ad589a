/**
 * The reader API refuses at cold start a streaming URL lifetime above the study schema's cap (a
 * URL is a bearer credential), so an environment set by hand cannot bring back 7-day URLs.
 */
import { ReaderApiEnvSchema } from '../../../lambda/reader-api/env';
import { STREAMING_URL_MAX_SECONDS } from '../../../lib/config/schema';

const env = (validity: string) => ({
  STUDY_ID: 'example',
  TABLE_NAME: 'table',
  READROOM_READING_CONFIG: '{}',
  READROOM_STUDY_DISPLAY_NAME: 'Example eye survey',
  APPSTREAM_STACK_NAME: 'readroom-example',
  FLEET_NAME: 'readroom-example-fleet',
  STREAMING_URL_VALIDITY_SECONDS: validity,
});

test('accepts the cap and refuses one second more, naming the variable', () => {
  expect(ReaderApiEnvSchema.parse(env(String(STREAMING_URL_MAX_SECONDS))).STREAMING_URL_VALIDITY_SECONDS).toBe(300);
  const result = ReaderApiEnvSchema.safeParse(env(String(STREAMING_URL_MAX_SECONDS + 1)));
  expect(result.success ? [] : result.error.issues.map((i) => i.path.join('.'))).toEqual(['STREAMING_URL_VALIDITY_SECONDS']);
});
