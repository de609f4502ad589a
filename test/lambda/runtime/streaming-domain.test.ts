/**
 * The custom streaming domain (study `portal.domain.streamingName`): the functions that issue
 * streaming URLs (reader-api, adjudication-api, through lambda/runtime/streaming.ts) rewrite
 * AppStream's host to it, as AWS documents for embedded sessions in browsers that block
 * third-party cookies, and keep everything else of the URL.
 */
import { AdjudicationEnvSchema } from '../../../lambda/adjudication-api/env';
import { ReaderApiEnvSchema } from '../../../lambda/reader-api/env';
import { onStreamingDomain } from '../../../lambda/runtime/streaming';

const AWS_URL = 'https://appstream2.ap-northeast-2.aws.amazon.com/authenticate?parameters=eyJ0eXBlIjoiRU5E&signature=abc%2Bdef';

test('rewrites only the host of an AppStream streaming URL', () => {
  expect(onStreamingDomain(AWS_URL, 'stream.portal.example.org')).toBe('https://stream.portal.example.org/authenticate?parameters=eyJ0eXBlIjoiRU5E&signature=abc%2Bdef');
});

test('without a custom domain the URL is AppStream’s own', () => {
  expect(onStreamingDomain(AWS_URL, undefined)).toBe(AWS_URL);
});

test('another host (the local stand-in) is left alone: only AppStream’s own host is proxied', () => {
  const local = 'http://127.0.0.1:40123/authenticate?parameters=x';
  expect(onStreamingDomain(local, 'stream.portal.example.org')).toBe(local);
  const lookalike = 'https://appstream2.ap-northeast-2.aws.amazon.com.evil.example/authenticate';
  expect(onStreamingDomain(lookalike, 'stream.portal.example.org')).toBe(lookalike);
});

describe.each([
  ['reader-api', ReaderApiEnvSchema],
  ['adjudication-api', AdjudicationEnvSchema],
] as const)('%s environment', (_name, schema) => {
  const env = {
    STUDY_ID: 'example',
    TABLE_NAME: 'table',
    READROOM_READING_CONFIG: '{}',
    READROOM_STUDY_DISPLAY_NAME: 'Example',
    APPSTREAM_STACK_NAME: 'readroom-example',
    FLEET_NAME: 'readroom-example-fleet',
  };

  test('takes the streaming domain, optional', () => {
    expect((schema.parse({ ...env, APPSTREAM_STREAMING_DOMAIN: 'stream.portal.example.org' }) as { APPSTREAM_STREAMING_DOMAIN?: string }).APPSTREAM_STREAMING_DOMAIN).toBe('stream.portal.example.org');
    expect((schema.parse(env) as { APPSTREAM_STREAMING_DOMAIN?: string }).APPSTREAM_STREAMING_DOMAIN).toBeUndefined();
  });

  test('refuses a URL where a host name belongs, naming the variable', () => {
    const result = schema.safeParse({ ...env, APPSTREAM_STREAMING_DOMAIN: 'https://stream.portal.example.org/' });
    expect(result.success ? [] : result.error.issues.map((i) => i.path.join('.'))).toEqual(['APPSTREAM_STREAMING_DOMAIN']);
  });
});
