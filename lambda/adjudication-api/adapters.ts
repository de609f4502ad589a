/**
 * The adjudication API's ports, implemented: the reading table (../store) through the shared
 * document client, and AppStream's CreateStreamingURL for sessions on a task's case
 * (../runtime/streaming.ts). Built once per container, on first use: a bad environment fails
 * loudly there.
 */
import { documentClient } from '../runtime/clients/dynamodb';
import { loadEnv } from '../runtime/env';
import { appStreamIssuer, newSessionId, sessionSettings } from '../runtime/streaming';
import { readingStore } from '../store';
import type { AdjudicationDeps } from './core';
import { AdjudicationEnvSchema } from './env';

let deps: AdjudicationDeps | undefined;

export function adjudicationDeps(): AdjudicationDeps {
  if (deps) return deps;
  const env = loadEnv(AdjudicationEnvSchema);
  const store = readingStore(documentClient(), env.TABLE_NAME);
  deps = {
    config: env.READROOM_READING_CONFIG,
    store,
    sessions: { store, streaming: appStreamIssuer(env), ...sessionSettings(env), now: () => new Date(), newId: newSessionId },
    now: () => new Date().toISOString(),
  };
  return deps;
}
