/**
 * The coordinator core's ports, implemented: the reading table (../store: every read a GetItem or a
 * Query on the table or an index, see its README; nothing scans), the reader directory (Cognito's
 * reader group) and download links (S3 presigned GETs). Built once per container, on first use.
 */
import { randomBytes } from 'node:crypto';
import { ListUsersInGroupCommand, type CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { cognitoClient } from '../runtime/clients/cognito';
import { documentClient } from '../runtime/clients/dynamodb';
import { s3Client } from '../runtime/clients/s3';
import { loadEnv } from '../runtime/env';
import { AppError } from '../runtime/errors';
import { log } from '../runtime/log';
import { readingStore, type ReadingStore } from '../store';
import { newExportId, type AssignmentDeps, type DirectoryMember, type DownloadLinks, type ExportCoreDeps, type ReaderDirectory, type WithdrawDeps } from './core';
import { CoordinatorEnvSchema, type CoordinatorEnv } from './env';

/** The role group bulk assignment draws readers from. */
export const READER_GROUP = 'reader';

/**
 * Every member of the pool's reader group (ListUsersInGroup, 60 per page). Called from inside the
 * isolated VPC through the study's `cognito-idp` interface endpoint (data stack); a failure is a
 * 503, never a run with a silently empty pool.
 */
export function cognitoReaderGroup(client: CognitoIdentityProviderClient, userPoolId: string): ReaderDirectory {
  return {
    async members() {
      const members: DirectoryMember[] = [];
      let token: string | undefined;
      try {
        do {
          const out = await client.send(new ListUsersInGroupCommand({ UserPoolId: userPoolId, GroupName: READER_GROUP, Limit: 60, NextToken: token }));
          for (const u of out.Users ?? []) {
            const attr = (name: string) => u.Attributes?.find((a) => a.Name === name)?.Value;
            const sub = attr('sub');
            if (!sub) continue;
            const site = attr('custom:site');
            members.push({ readerId: sub, ...(site !== undefined ? { site } : {}), enabled: u.Enabled !== false });
          }
          token = out.NextToken;
        } while (token);
      } catch (e) {
        log.error('reader directory unavailable', { error: (e as Error).name });
        throw new AppError(503, 'directory_unavailable', 'The reader directory could not be read right now; nothing was assigned. Try again in a minute.');
      }
      return members;
    },
  };
}

/** Presigned GETs valid for `seconds` (the route caps them at 15 minutes), downloaded as attachments. */
export function s3DownloadLinks(s3: S3Client, bucket: string): DownloadLinks {
  return {
    presign(key, seconds) {
      const filename = key.split('/').pop()!;
      return getSignedUrl(s3, new GetObjectCommand({ Bucket: bucket, Key: key, ResponseContentDisposition: `attachment; filename="${filename}"` }), { expiresIn: seconds });
    },
  };
}

export interface CoordinatorDeps {
  env: CoordinatorEnv;
  store: ReadingStore;
  assignment: AssignmentDeps;
  exports: ExportCoreDeps;
  withdraw: WithdrawDeps;
}

let deps: CoordinatorDeps | undefined;

export function coordinatorDeps(): CoordinatorDeps {
  if (deps) return deps;
  const env = loadEnv(CoordinatorEnvSchema);
  const store = readingStore(documentClient(), env.TABLE_NAME);
  const now = () => new Date().toISOString();
  deps = {
    env,
    store,
    assignment: { config: env.READROOM_READING_CONFIG, store, directory: cognitoReaderGroup(cognitoClient(), env.USER_POOL_ID), now },
    withdraw: { store, now },
    exports: { store, links: s3DownloadLinks(s3Client(), env.BUCKET_NAME), now, newId: () => newExportId(now(), randomBytes(5).toString('hex').slice(0, 8)) },
  };
  return deps;
}
