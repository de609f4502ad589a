/**
 * Wires the reader API's ports to the real adapters: the reading table (../shared/store) through
 * the shared document client, and AppStream's CreateStreamingURL. Built once per container.
 */
import { randomBytes } from 'node:crypto';
import { CreateStreamingURLCommand } from '@aws-sdk/client-appstream';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { appStreamClient } from '../runtime/clients/appstream';
import { documentClient } from '../runtime/clients/dynamodb';
import { AppError } from '../runtime/errors';
import { loadEnv } from '../runtime/env';
import * as store from '../store';
import type { ReaderApiDeps, ReaderStore, StreamingUrlIssuer } from './core';
import { ReaderApiEnvSchema, type ReaderApiEnv } from './env';

export function tableStore(db: DynamoDBDocumentClient, t: string): ReaderStore {
  return {
    ensureReader: (r) => store.ensureReader(db, t, r),
    queuePage: (readerId, opts) => store.queuePage(db, t, readerId, opts),
    firstOpenAssignment: (readerId) => store.firstOpenAssignment(db, t, readerId),
    listClaimable: (taker, opts) => store.listClaimable(db, t, taker, opts),
    claimSlot: (input) => store.claimSlot(db, t, input),
    getAssignmentRef: (ref) => store.getAssignmentRef(db, t, ref),
    getAssignment: (caseId, readerId, readNo) => store.getAssignment(db, t, caseId, readerId, readNo),
    assignmentsOf: (caseId, readerId) => store.assignmentsOf(db, t, caseId, readerId),
    getCase: (caseId) => store.getCase(db, t, caseId),
    getRead: (caseId, readerId, readNo) => store.getRead(db, t, caseId, readerId, readNo),
    listReads: (caseId) => store.listReads(db, t, caseId),
    getIdempotency: (readerId, key) => store.getIdempotency(db, t, readerId, key),
    writeReadSave: (save) => store.writeReadSave(db, t, save),
    recordSession: (session, audit) => store.transact(db, [store.sessionPutTx(t, session), store.auditPutTx(t, audit)]),
    getAdjudication: (caseId) => store.getTask(db, t, caseId),
  };
}

export function appStreamIssuer(env: Pick<ReaderApiEnv, 'APPSTREAM_STACK_NAME' | 'FLEET_NAME' | 'APPSTREAM_APPLICATION_ID'>): StreamingUrlIssuer {
  return {
    async issue({ userId, sessionContext, validitySeconds }) {
      try {
        const out = await appStreamClient().send(
          new CreateStreamingURLCommand({
            StackName: env.APPSTREAM_STACK_NAME,
            FleetName: env.FLEET_NAME,
            UserId: userId,
            Validity: validitySeconds,
            SessionContext: sessionContext,
            ApplicationId: env.APPSTREAM_APPLICATION_ID,
          }),
        );
        return { url: out.StreamingURL!, expiresAt: out.Expires ?? new Date(Date.now() + validitySeconds * 1000) };
      } catch (e) {
        // A stopped or scaling fleet is not the reader's mistake, and not a crash either.
        if ((e as Error).name === 'ResourceNotAvailableException' || (e as Error).name === 'OperationNotPermittedException') {
          throw new AppError(503, 'streaming_unavailable', 'The reading room is not streaming right now (outside the reading hours or starting up); try again later.');
        }
        throw e;
      }
    },
  };
}

let deps: ReaderApiDeps | undefined;

/** Parsed on first use (cold start); a bad environment fails loudly there. */
export function readerApiDeps(): ReaderApiDeps {
  if (deps) return deps;
  const env = loadEnv(ReaderApiEnvSchema);
  deps = {
    store: tableStore(documentClient(), env.TABLE_NAME),
    streaming: appStreamIssuer(env),
    reading: env.READROOM_READING_CONFIG,
    streamingUrlValiditySeconds: env.STREAMING_URL_VALIDITY_SECONDS,
    sessionMaxSeconds: env.SESSION_MAX_SECONDS,
    now: () => new Date(),
    newId: () => randomBytes(16).toString('base64url'),
    random: Math.random,
  };
  return deps;
}
