/**
 * Private REST API (API Gateway v1 event, AWS_IAM auth by the fleet role): `GET /fleet/case-files`.
 * The caller's address is `requestContext.identity.sourceIp`, which for a private API is the
 * private IP of the instance inside the VPC. See ./core.ts and ./README.md for the checks.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { json, respond, type HttpEvent } from '../runtime/http';
import { caseFilesDeps } from './adapters';
import { caseFiles } from './core';

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
      await caseFiles(caseFilesDeps(), {
        sessionId: event.queryStringParameters?.sessionId ?? undefined,
        sourceIp: event.requestContext?.identity?.sourceIp ?? undefined,
        xForwardedFor: headerValues(event, 'x-forwarded-for'),
        forwarded: headerValues(event, 'forwarded'),
      }),
    ),
  );
  return { statusCode: result.statusCode ?? 200, headers: result.headers as APIGatewayProxyResult['headers'], body: result.body ?? '' };
}
