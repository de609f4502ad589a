/**
 * The reader API's ports, implemented: the reading table (../store) through the shared document
 * client, and AppStream's CreateStreamingURL (../runtime/streaming.ts). Built once per container,
 * on first use: a bad environment fails loudly there.
 */
import { documentClient } from '../runtime/clients/dynamodb';
import { loadEnv } from '../runtime/env';
import { appStreamIssuer, newSessionId, sessionSettings } from '../runtime/streaming';
import { readingStore } from '../store';
import type { ReaderApiDeps } from './core';
import { ReaderApiEnvSchema } from './env';

let deps: ReaderApiDeps | undefined;

export function readerApiDeps(): ReaderApiDeps {
  if (deps) return deps;
  const env = loadEnv(ReaderApiEnvSchema);
  deps = {
    store: readingStore(documentClient(), env.TABLE_NAME),
    streaming: appStreamIssuer(env),
    reading: env.READROOM_READING_CONFIG,
    study: { studyId: env.STUDY_ID, displayName: env.READROOM_STUDY_DISPLAY_NAME },
    ...sessionSettings(env),
    now: () => new Date(),
    newId: newSessionId,
    random: Math.random,
  };
  return deps;
}
