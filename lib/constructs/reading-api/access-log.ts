import * as apigw from 'aws-cdk-lib/aws-apigateway';

/** JSON access-log line of either API: who (Cognito sub or IAM caller), what, status, latency; never bodies. */
export function accessLogFormat(kind: 'http' | 'rest'): apigw.AccessLogFormat {
  return apigw.AccessLogFormat.custom(
    JSON.stringify({
      requestId: '$context.requestId',
      time: '$context.requestTime',
      ...(kind === 'http' ? { route: '$context.routeKey', sub: '$context.authorizer.claims.sub' } : { resource: '$context.resourcePath', caller: '$context.identity.caller', vpce: '$context.identity.vpceId' }),
      method: '$context.httpMethod',
      status: '$context.status',
      latencyMs: '$context.responseLatency',
      sourceIp: '$context.identity.sourceIp',
    }),
  );
}
