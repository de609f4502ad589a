/**
 * Private REST API (API Gateway v1 event, AWS_IAM auth by the fleet role): `GET /fleet/case-files`.
 * The caller's address is `requestContext.identity.sourceIp`, which for a private API is the
 * private IP of the instance inside the VPC. See ./core.ts and ./README.md for the checks.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { DescribeSessionsCommand, type Session } from '@aws-sdk/client-appstream';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { appStreamClient } from '../runtime/clients/appstream';
import { documentClient } from '../runtime/clients/dynamodb';
import { s3Client } from '../runtime/clients/s3';
import { loadEnv } from '../runtime/env';
import { json, respond, type HttpEvent } from '../runtime/http';
import { assignmentsOf, getAssignment, getCase, getSession, getTask, putAudit } from '../store';
import { caseFiles, type CaseFilesDeps } from './core';
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

function getDeps(): CaseFilesDeps {
  if (deps) return deps;
  const env = loadEnv(CaseFilesEnvSchema);
  const db = documentClient();
  const t = env.TABLE_NAME;
  deps = {
    getSession: (id) => getSession(db, t, id),
    getAssignment: (caseId, readerId, readNo) => getAssignment(db, t, caseId, readerId, readNo),
    assignmentsOf: (caseId, readerId) => assignmentsOf(db, t, caseId, readerId),
    getAdjudication: (caseId) => getTask(db, t, caseId),
    getCase: (caseId) => getCase(db, t, caseId),
    activeSessionIps: (userId) => activeSessionIps(env, userId),
    presign: (key, expiresIn) => getSignedUrl(s3Client(), new GetObjectCommand({ Bucket: env.BUCKET_NAME, Key: key }), { expiresIn }),
    audit: (e) => putAudit(db, t, e),
    urlSeconds: env.CASE_FILES_URL_SECONDS,
    now: () => new Date(),
  };
  return deps;
}

/**
 * Every value of a header, whatever its case, from both the single and the multi-value maps (a
 * repeated header appears in the latter only with all its values).
 */
export function headerValues(event: Pick<APIGatewayProxyEvent, 'headers' | 'multiValueHeaders'>, name: string): string[] {
  const wanted = name.toLowerCase();
  const values = new Set<string>();
  for (const [k, v] of Object.entries(event.multiValueHeaders ?? {})) if (k.toLowerCase() === wanted) for (const x of v ?? []) values.add(x);
  for (const [k, v] of Object.entries(event.headers ?? {})) if (k.toLowerCase() === wanted && v !== undefined) values.add(v);
  return [...values];
}

export async function handler(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  // `respond` maps typed errors to 4xx and anything else to a 500 with only a request id.
  const context = { routeKey: 'GET /fleet/case-files', requestContext: { requestId: event.requestContext?.requestId } } as unknown as HttpEvent;
  const result = await respond(context, async () =>
    json(
      200,
      await caseFiles(getDeps(), {
        sessionId: event.queryStringParameters?.sessionId ?? undefined,
        sourceIp: event.requestContext?.identity?.sourceIp ?? undefined,
        xForwardedFor: headerValues(event, 'x-forwarded-for'),
        forwarded: headerValues(event, 'forwarded'),
      }),
    ),
  );
  return { statusCode: result.statusCode ?? 200, headers: result.headers as APIGatewayProxyResult['headers'], body: result.body ?? '' };
}
