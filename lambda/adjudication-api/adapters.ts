/**
 * The adjudication API's ports, implemented: the reading table (../store) through the shared
 * document client. Built once per container, on first use: a bad environment fails loudly there.
 */
import { documentClient } from '../runtime/clients/dynamodb';
import { loadEnv } from '../runtime/env';
import { readingStore } from '../store';
import type { AdjudicationDeps } from './core';
import { AdjudicationEnvSchema } from './env';

let deps: AdjudicationDeps | undefined;

export function adjudicationDeps(): AdjudicationDeps {
  if (deps) return deps;
  const env = loadEnv(AdjudicationEnvSchema);
  deps = { config: env.READROOM_READING_CONFIG, store: readingStore(documentClient(), env.TABLE_NAME), now: () => new Date().toISOString() };
  return deps;
}
