/**
 * The local room's stand-in for the scans bucket's "Object Created" events on manifests: moto
 * cannot invoke a function, so the bucket's `cases/` prefix is listed every second and each new or
 * replaced `cases/<caseId>/manifest.json` (by ETag) is handed to the registry's real handler as
 * EventBridge delivers it (./aws-events.ts `objectCreatedEvent`). Anything that uploads into the
 * local bucket (the seed, `readroom ingest` pointed at the room) gets its cases registered.
 */
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { S3ObjectCreatedNotificationEvent } from 'aws-lambda';
import { MANIFEST_NAME } from '../domain/manifest';
import { objectCreatedEvent } from './aws-events';

export interface ManifestWatcher {
  /** Lists once and registers what is new; resolves when every new manifest has been handled. */
  scan(): Promise<number>;
  /** How many manifests (cases) are registered so far, by this watcher's passes and the timer's. */
  registered(): number;
  stop(): Promise<void>;
}

export function watchManifests(opts: {
  s3: S3Client;
  region: string;
  bucket: string;
  handler: (event: S3ObjectCreatedNotificationEvent) => Promise<unknown>;
  intervalMs?: number;
}): ManifestWatcher {
  const seen = new Map<string, string>();
  let sequence = 0;
  let running: Promise<number> = Promise.resolve(0);
  let stopped = false;

  const once = async (): Promise<number> => {
    let token: string | undefined;
    let handled = 0;
    do {
      const out = await opts.s3.send(new ListObjectsV2Command({ Bucket: opts.bucket, Prefix: 'cases/', ContinuationToken: token }));
      for (const o of out.Contents ?? []) {
        if (!o.Key?.endsWith(`/${MANIFEST_NAME}`) || seen.get(o.Key) === o.ETag) continue;
        seen.set(o.Key, o.ETag ?? '');
        // S3's sequencer orders events of one key; a counter keeps that order here.
        const event = objectCreatedEvent(opts.region, opts.bucket, o.Key, (++sequence).toString(16).toUpperCase().padStart(16, '0'), o.Size ?? 0);
        try {
          await opts.handler(event);
        } catch (e) {
          // Lambda would retry the event: forget it so the next pass does.
          seen.delete(o.Key);
          console.error(`[manifests] ${o.Key}: ${(e as Error).message}`);
        }
        handled++;
      }
      token = out.NextContinuationToken;
    } while (token && !stopped);
    return handled;
  };
  // One pass at a time: a scan asked for while one runs waits for it, then runs its own.
  const scan = () => (running = running.catch(() => 0).then(once));
  const timer = setInterval(() => void scan().catch(() => undefined), opts.intervalMs ?? 1000);
  timer.unref();
  return {
    scan,
    registered: () => seen.size,
    stop: async () => {
      stopped = true;
      clearInterval(timer);
      await running.catch(() => undefined);
    },
  };
}
