/**
 * A manifest `cases/<caseId>/manifest.json` was created in the scans bucket → register the case.
 * Accepts both deliveries S3 has: an EventBridge "Object Created" event (what the stack wires,
 * key as is) and a bucket notification (`Records`, key URL-encoded with '+' for spaces).
 * Rejections are results, not errors; an infrastructure failure throws so the event is retried.
 */
import type { S3Event, S3ObjectCreatedNotificationEvent } from 'aws-lambda';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../runtime/clients/dynamodb';
import { s3Client } from '../runtime/clients/s3';
import { loadEnv } from '../runtime/env';
import { log } from '../runtime/log';
import { auditPutTx, putAudit, registerCase, rejectionPutTx, resolveRejections, transact } from '../store';
import { registerManifest, type CaseRegistry, type ManifestObjects, type RegisterDeps, type RegisterOutcome } from './core';
import { RegisterCaseEnvSchema, type RegisterCaseEnv } from './env';

export function s3Objects(bucket: string): ManifestObjects {
  return {
    async readManifest(key, maxBytes) {
      try {
        const out = await s3Client().send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        if ((out.ContentLength ?? 0) > maxBytes) {
          out.Body?.transformToWebStream().cancel().catch(() => undefined);
          return 'too_large';
        }
        return await out.Body!.transformToString('utf8');
      } catch (e) {
        if ((e as Error).name === 'NoSuchKey') return undefined;
        throw e;
      }
    },
    async listCase(prefix) {
      const found = new Map<string, number>();
      let token: string | undefined;
      do {
        const out = await s3Client().send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
        for (const o of out.Contents ?? []) if (o.Key) found.set(o.Key.slice(prefix.length), o.Size ?? 0);
        token = out.IsTruncated ? out.NextContinuationToken : undefined;
      } while (token);
      return found;
    },
  };
}

export function tableRegistry(db: DynamoDBDocumentClient, tableName: string): CaseRegistry {
  return {
    register: (manifest, at, sequencer) => registerCase(db, tableName, manifest, at, sequencer),
    reject: async (rejection, audit) => {
      // Same transaction: a rejection is always visible in both /progress and the audit log.
      await transact(db, [rejectionPutTx(tableName, rejection), auditPutTx(tableName, audit)]);
    },
    resolveRejections: (caseId, at, sequencer) => resolveRejections(db, tableName, caseId, at, sequencer),
    audit: (event) => putAudit(db, tableName, event),
  };
}

let deps: { env: RegisterCaseEnv; core: RegisterDeps } | undefined;

function getDeps() {
  if (deps) return deps;
  const env = loadEnv(RegisterCaseEnvSchema);
  deps = { env, core: { objects: s3Objects(env.BUCKET_NAME), registry: tableRegistry(documentClient(), env.TABLE_NAME), now: () => new Date() } };
  return deps;
}

/** S3 URL-encodes object keys in events, with '+' for spaces. */
export const decodeS3Key = (key: string) => decodeURIComponent(key.replace(/\+/g, ' '));

/** The (bucket, key, sequencer) of each created object an event reports. */
export function createdObjects(event: S3Event | S3ObjectCreatedNotificationEvent): Array<{ bucket: string; key: string; sequencer: string }> {
  if ('detail' in event) {
    const d = event.detail;
    return event.source === 'aws.s3' && event['detail-type'] === 'Object Created' && d?.object?.key
      ? [{ bucket: d.bucket?.name, key: d.object.key, sequencer: d.object.sequencer ?? '' }]
      : [];
  }
  return (event.Records ?? [])
    .filter((r) => r.eventName?.startsWith('ObjectCreated:') && r.s3?.object?.key)
    .map((r) => ({ bucket: r.s3.bucket?.name, key: decodeS3Key(r.s3.object.key), sequencer: r.s3.object.sequencer ?? '' }));
}

export async function handler(event: S3Event | S3ObjectCreatedNotificationEvent): Promise<{ outcomes: RegisterOutcome[] }> {
  const { env, core } = getDeps();
  const outcomes: RegisterOutcome[] = [];
  for (const o of createdObjects(event)) {
    if (o.bucket !== env.BUCKET_NAME) {
      log.warn('event from another bucket ignored', {});
      continue;
    }
    outcomes.push(await registerManifest(core, { key: o.key, sequencer: o.sequencer }));
  }
  return { outcomes };
}
