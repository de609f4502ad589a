/**
 * A manifest `cases/<caseId>/manifest.json` was created in the scans bucket → register the case.
 * Accepts both deliveries S3 has: an EventBridge "Object Created" event (what the stack wires,
 * key as is) and a bucket notification (`Records`, key URL-encoded with '+' for spaces).
 * Rejections are results, not errors; an infrastructure failure throws so the event is retried.
 */
import type { S3Event, S3ObjectCreatedNotificationEvent } from 'aws-lambda';
import { log } from '../runtime/log';
import { registerCaseDeps } from './adapters';
import { registerManifest, type RegisterOutcome } from './core';

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
  const { env, core } = registerCaseDeps();
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
