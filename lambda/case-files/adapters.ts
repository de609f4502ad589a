/**
 * The case-files use case's ports, implemented: the reading table (../store), AppStream's
 * DescribeSessions (which instance streams a session) and S3 presigned GETs. Built once per
 * container, on first use: a bad environment fails loudly there.
 */
import { DescribeSessionsCommand, type Session } from '@aws-sdk/client-appstream';
import { CopyObjectCommand, GetObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { appStreamClient } from '../runtime/clients/appstream';
import { documentClient } from '../runtime/clients/dynamodb';
import { s3Client } from '../runtime/clients/s3';
import { loadEnv } from '../runtime/env';
import { readingStore } from '../store';
import type { CaseFilesDeps } from './core';
import { CaseFilesEnvSchema, type CaseFilesEnv } from './env';

/** Every ACTIVE session of `userId` on the study's stack and fleet (paginated), as ENI private IPs. */
export async function activeSessionIps(env: Pick<CaseFilesEnv, 'APPSTREAM_STACK_NAME' | 'FLEET_NAME'>, userId: string): Promise<string[]> {
  const sessions: Session[] = [];
  let token: string | undefined;
  do {
    const out = await appStreamClient().send(
      new DescribeSessionsCommand({ StackName: env.APPSTREAM_STACK_NAME, FleetName: env.FLEET_NAME, UserId: userId, AuthenticationType: 'API', NextToken: token }),
    );
    sessions.push(...(out.Sessions ?? []));
    token = out.NextToken;
  } while (token);
  return sessions
    .filter((s) => s.State === 'ACTIVE' && s.UserId === userId)
    .map((s) => s.NetworkAccessConfiguration?.EniPrivateIpAddress)
    .filter((ip): ip is string => typeof ip === 'string' && ip.length > 0);
}

let deps: CaseFilesDeps | undefined;

export function caseFilesDeps(): CaseFilesDeps {
  if (deps) return deps;
  const env = loadEnv(CaseFilesEnvSchema);
  deps = {
    ...readingStore(documentClient(), env.TABLE_NAME),
    activeSessionIps: (userId) => activeSessionIps(env, userId),
    presign: (key, expiresIn) => getSignedUrl(s3Client(), new GetObjectCommand({ Bucket: env.BUCKET_NAME, Key: key }), { expiresIn }),
    // REPLACE: the copy keeps none of the source's user metadata or tags (an upload tool may have
    // put a file name or a case id there); the bucket's default encryption applies to it.
    copyObject: async (source, target, contentType) => {
      await s3Client().send(
        new CopyObjectCommand({
          Bucket: env.BUCKET_NAME,
          Key: target,
          CopySource: `${env.BUCKET_NAME}/${source.split('/').map(encodeURIComponent).join('/')}`,
          MetadataDirective: 'REPLACE',
          TaggingDirective: 'REPLACE',
          ContentType: contentType,
        }),
      );
    },
    urlSeconds: env.CASE_FILES_URL_SECONDS,
    now: () => new Date(),
  };
  return deps;
}
