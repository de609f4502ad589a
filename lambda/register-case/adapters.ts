/**
 * The registry's ports, implemented: the manifest and the case folder's listing on S3 (never an
 * image), and the reading table (../store). Built once per container, on first use.
 */
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { documentClient } from '../runtime/clients/dynamodb';
import { s3Client } from '../runtime/clients/s3';
import { loadEnv } from '../runtime/env';
import { readingStore } from '../store';
import type { ManifestObjects, RegisterDeps } from './core';
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

let deps: { env: RegisterCaseEnv; core: RegisterDeps } | undefined;

export function registerCaseDeps() {
  if (deps) return deps;
  const env = loadEnv(RegisterCaseEnvSchema);
  deps = { env, core: { objects: s3Objects(env.BUCKET_NAME), registry: readingStore(documentClient(), env.TABLE_NAME), now: () => new Date() } };
  return deps;
}
