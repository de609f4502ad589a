import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { accessLogFormat } from './access-log';

export interface ReadingHttpApiProps {
  readonly studyId: string;
  /** Issues the tokens the JWT authorizer accepts. */
  readonly userPool: cognito.IUserPool;
  /** The authorizer's audience. */
  readonly portalClient: cognito.IUserPoolClient;
  /** Browser origins allowed by CORS (https://portal-domain). */
  readonly allowedOrigins: string[];
  /** Route key (`METHOD /path`) → the function that serves it. */
  readonly routes: ReadonlyArray<{ readonly routeKey: string; readonly handler: lambda.IFunction }>;
  /** Encrypts the access-log group. */
  readonly encryptionKey: kms.IKey;
  readonly logRetention: logs.RetentionDays;
  readonly logRemovalPolicy: RemovalPolicy;
  /**
   * Steady-state requests per second across the API (100 readers need a few).
   * @default 50
   */
  readonly throttleRatePerSecond?: number;
}

/**
 * The reading workflow's HTTP API: a Cognito JWT authorizer on every route (issuer = the study
 * pool, audience = the portal client; roles are checked in the handlers from `cognito:groups`),
 * CORS for the portal only, throttling and JSON access logs, one Lambda integration per function.
 *
 * Its stage and access-log group are created beside it in the parent scope as `<id>Stage` and
 * `<id>AccessLogs`, the ids they had before the reading API was split, so no logical id changed.
 */
export class ReadingHttpApi extends apigwv2.HttpApi {
  constructor(scope: Construct, id: string, props: ReadingHttpApiProps) {
    const stack = Stack.of(scope);
    super(scope, id, {
      apiName: `readroom-${props.studyId}-api`,
      description: `ReadRoom ${props.studyId} reading workflow`,
      createDefaultStage: false,
      defaultAuthorizer: new HttpJwtAuthorizer('Cognito', `https://cognito-idp.${stack.region}.${stack.urlSuffix}/${props.userPool.userPoolId}`, {
        jwtAudience: [props.portalClient.userPoolClientId],
      }),
      corsPreflight: {
        allowOrigins: props.allowedOrigins,
        allowMethods: [apigwv2.CorsHttpMethod.GET, apigwv2.CorsHttpMethod.POST, apigwv2.CorsHttpMethod.PUT],
        allowHeaders: ['authorization', 'content-type', 'if-match', 'idempotency-key'],
        exposeHeaders: ['etag'],
        maxAge: Duration.hours(1),
      },
    });
    const accessLogs = new logs.LogGroup(scope, `${id}AccessLogs`, { encryptionKey: props.encryptionKey, retention: props.logRetention, removalPolicy: props.logRemovalPolicy });
    const rate = props.throttleRatePerSecond ?? 50;
    new apigwv2.HttpStage(scope, `${id}Stage`, {
      httpApi: this,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: rate, burstLimit: 2 * rate },
      accessLogSettings: { destination: new apigwv2.LogGroupLogDestination(accessLogs), format: accessLogFormat('http') },
    });

    const integrations = new Map<lambda.IFunction, HttpLambdaIntegration>();
    for (const { routeKey, handler } of props.routes) {
      const [method, path] = routeKey.split(' ');
      if (!Object.values(apigwv2.HttpMethod).includes(method as apigwv2.HttpMethod) || !path?.startsWith('/')) throw new Error(`ReadingHttpApi: '${routeKey}' is not a route key ('METHOD /path')`);
      if (!integrations.has(handler)) integrations.set(handler, new HttpLambdaIntegration(`${handler.node.id}Integration`, handler));
      this.addRoutes({ path, methods: [method as apigwv2.HttpMethod], integration: integrations.get(handler)! });
    }
  }
}
