/**
 * AWS events built the way AWS delivers them to ReadRoom's handlers: API Gateway HTTP API v2 events
 * after the JWT authorizer (claims stringified as API Gateway does), the private REST API's v1
 * event for `GET /fleet/case-files`, S3's ObjectCreated notifications (bucket notification and
 * EventBridge), and a DynamoDB stream INSERT record. Shared by the local reading room's gateway
 * (./gateway.ts) and the handler tests' harness (test/helpers/api-harness.ts); the table's
 * definition (`createTable`) too.
 */
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent, APIGatewayProxyEventV2WithJWTAuthorizer, DynamoDBStreamEvent, S3Event, S3ObjectCreatedNotificationEvent } from 'aws-lambda';
import { CreateTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { indexKeys, TABLE_SCHEMA } from '../lambda/store';

/** What the private REST API's requests carry as Host (its VPC endpoint's name). */
const FLEET_API_HOST = 'abc123.execute-api.ap-northeast-2.vpce.amazonaws.com';

export interface CallRequest {
  /** "METHOD /path/{param}" as API Gateway names the route; method/path are derived from it. */
  routeKey?: string;
  method?: string;
  /** The concrete path; default: the routeKey's path with pathParameters filled in. */
  path?: string;
  pathParameters?: Record<string, string>;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  /** An object is sent as JSON; a string as is. */
  body?: unknown;
  /** Bearer token; undefined or null sends no Authorization header. */
  token?: string | null;
  sourceIp?: string;
}

export interface FleetCallRequest {
  query?: Record<string, string>;
  /** The caller's private IP as the private REST API reports it (the harness defaults it to its fleet's ENI address). */
  sourceIp?: string;
  /** @default the fleet role's assumed-role ARN */
  userArn?: string;
  /** Extra request headers, as the private REST API hands them on (e.g. X-Forwarded-For). */
  headers?: Record<string, string>;
}

/** The table as the store's key schema says (lambda/store/keys.ts `TABLE_SCHEMA`, which the deployed table matches). */
export async function createTable(ddb: DynamoDBClient, tableName: string): Promise<void> {
  const s = (AttributeName: string) => ({ AttributeName, AttributeType: 'S' as const });
  const keySchema = (k: { partitionKey: string; sortKey: string }) => [
    { AttributeName: k.partitionKey, KeyType: 'HASH' as const },
    { AttributeName: k.sortKey, KeyType: 'RANGE' as const },
  ];
  const indexes = TABLE_SCHEMA.indexes.map((name) => ({ name, keys: indexKeys(name) }));
  await ddb.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [TABLE_SCHEMA, ...indexes.map((i) => i.keys)].flatMap((k) => [s(k.partitionKey), s(k.sortKey)]),
      KeySchema: keySchema(TABLE_SCHEMA),
      GlobalSecondaryIndexes: indexes.map((i) => ({ IndexName: i.name, KeySchema: keySchema(i.keys), Projection: { ProjectionType: 'ALL' as const } })),
    }),
  );
}

/** API Gateway HTTP API hands JWT claims to the integration as strings; arrays as "[a b]". */
export function apiGatewayClaims(claims: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(claims).map(([k, v]) => [k, Array.isArray(v) ? `[${v.join(' ')}]` : typeof v === 'string' ? v : JSON.stringify(v)]),
  );
}

/**
 * The event an HTTP API integration receives after the JWT authorizer let `token` through with
 * `claims`. Request headers arrive lower-cased (API Gateway lower-cases them); the `host` header
 * names the API's domain.
 */
export function httpEvent(req: CallRequest, claims: Record<string, unknown>, token: string): APIGatewayProxyEventV2WithJWTAuthorizer {
  const [routeMethod, routePath] = req.routeKey ? req.routeKey.split(' ') : [undefined, undefined];
  const method = (req.method ?? routeMethod ?? 'GET').toUpperCase();
  const path =
    req.path ?? (routePath ?? '/').replace(/\{(\w+)\+?\}/g, (_, name: string) => encodeURIComponent(req.pathParameters?.[name] ?? ''));
  const routeKey = req.routeKey ?? `${method} ${path}`;
  const headers: Record<string, string> = { host: 'api.readroom.test', 'user-agent': 'readroom-tests', authorization: `Bearer ${token}` };
  for (const [k, v] of Object.entries(req.headers ?? {})) headers[k.toLowerCase()] = v;
  const body = req.body === undefined ? undefined : typeof req.body === 'string' ? req.body : JSON.stringify(req.body);
  if (body !== undefined) headers['content-type'] ??= 'application/json';
  const rawQueryString = new URLSearchParams(req.query ?? {}).toString();
  const now = new Date();
  const domainName = headers.host;
  return {
    version: '2.0',
    routeKey,
    rawPath: path,
    rawQueryString,
    cookies: undefined,
    headers,
    queryStringParameters: req.query && Object.keys(req.query).length > 0 ? { ...req.query } : undefined,
    pathParameters: req.pathParameters,
    stageVariables: undefined,
    body,
    isBase64Encoded: false,
    requestContext: {
      accountId: '123456789012',
      apiId: 'testapi',
      authorizer: { principalId: '', integrationLatency: 0, jwt: { claims: apiGatewayClaims(claims), scopes: [] } },
      domainName,
      domainPrefix: domainName.split('.')[0],
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: req.sourceIp ?? '203.0.113.10', userAgent: headers['user-agent'] ?? '' },
      requestId: randomUUID(),
      routeKey,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
  } as APIGatewayProxyEventV2WithJWTAuthorizer;
}

export const FLEET_ROLE_ARN = 'arn:aws:sts::123456789012:assumed-role/readroom-test-FleetRole/AppStream2.0';

export function fleetEvent(req: FleetCallRequest & { sourceIp: string }): APIGatewayProxyEvent {
  const query = req.query ?? {};
  const qs = Object.keys(query).length > 0 ? { ...query } : null;
  return {
    resource: '/fleet/case-files',
    path: '/fleet/case-files',
    httpMethod: 'GET',
    headers: { Host: FLEET_API_HOST, ...req.headers },
    multiValueHeaders: Object.fromEntries(Object.entries({ Host: FLEET_API_HOST, ...req.headers }).map(([k, v]) => [k, [v]])),
    queryStringParameters: qs,
    multiValueQueryStringParameters: qs ? Object.fromEntries(Object.entries(qs).map(([k, v]) => [k, [v]])) : null,
    pathParameters: null,
    stageVariables: null,
    body: null,
    isBase64Encoded: false,
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      authorizer: null,
      protocol: 'HTTP/1.1',
      httpMethod: 'GET',
      path: '/prod/fleet/case-files',
      stage: 'prod',
      requestId: randomUUID(),
      requestTimeEpoch: Date.now(),
      resourceId: 'res1',
      resourcePath: '/fleet/case-files',
      identity: {
        accessKey: 'ASIATESTTESTTEST',
        accountId: '123456789012',
        apiKey: null,
        apiKeyId: null,
        caller: 'AROATESTTESTTEST:AppStream2.0',
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: req.sourceIp,
        user: 'AROATESTTESTTEST:AppStream2.0',
        userAgent: 'readroom-viewer',
        userArn: req.userArn ?? FLEET_ROLE_ARN,
        vpcId: 'vpc-0test',
        vpceId: 'vpce-0test',
      },
    },
  } as APIGatewayProxyEvent;
}

export function s3Event(region: string, bucket: string, key: string, seq: string, size: number): S3Event {
  return {
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: region,
        eventTime: new Date().toISOString(),
        eventName: 'ObjectCreated:Put',
        userIdentity: { principalId: 'AWS:AIDATEST' },
        requestParameters: { sourceIPAddress: '10.0.0.1' },
        responseElements: { 'x-amz-request-id': 'REQ', 'x-amz-id-2': 'ID2' },
        s3: {
          s3SchemaVersion: '1.0',
          configurationId: 'manifest',
          bucket: { name: bucket, ownerIdentity: { principalId: 'OWNER' }, arn: `arn:aws:s3:::${bucket}` },
          // S3 URL-encodes keys in events (space as '+').
          object: { key: encodeURIComponent(key).replace(/%2F/g, '/').replace(/%20/g, '+'), size, eTag: 'etag', sequencer: seq },
        },
      },
    ],
  } as S3Event;
}

export function objectCreatedEvent(region: string, bucket: string, key: string, seq: string, size: number): S3ObjectCreatedNotificationEvent {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Object Created',
    source: 'aws.s3',
    account: '123456789012',
    time: new Date().toISOString(),
    region,
    resources: [`arn:aws:s3:::${bucket}`],
    detail: {
      version: '0',
      bucket: { name: bucket },
      object: { key, size, etag: 'etag', sequencer: seq },
      'request-id': 'REQ',
      requester: '123456789012',
      'source-ip-address': '10.0.0.1',
      reason: 'PutObject',
    },
  } as S3ObjectCreatedNotificationEvent;
}


/**
 * A DynamoDB stream record of an item's INSERT (NEW_IMAGE view), from the item as GetItem returns it
 * raw: for items without binary attributes the SDK's and the stream's attribute shapes coincide.
 */
export function streamInsertEvent(region: string, item: Record<string, NonNullable<NonNullable<DynamoDBStreamEvent['Records'][number]['dynamodb']>['NewImage']>[string]>, eventId: string): DynamoDBStreamEvent {
  return {
    Records: [
      {
        eventID: eventId,
        eventName: 'INSERT',
        eventSource: 'aws:dynamodb',
        awsRegion: region,
        dynamodb: { Keys: { pk: item.pk, sk: item.sk }, NewImage: item, StreamViewType: 'NEW_IMAGE', SequenceNumber: '1', SizeBytes: 100 },
      },
    ],
  };
}

/** What the functions' env.ts files read, for handlers run in this process against local endpoints. */
export interface HandlerEnvironment {
  region: string;
  /** The AWS endpoint (moto, usually through the serial proxy). */
  awsEndpoint: string;
  /** The AppStream stand-in. */
  appStreamEndpoint: string;
  studyId: string;
  tableName: string;
  bucketName: string;
  fleetName: string;
  appStreamStackName: string;
  streamingUrlValiditySeconds: number;
  sessionMaxSeconds: number;
  /** The reading config as the build would inline it (parsed, defaults filled in). */
  readingConfig: unknown;
  studyDisplayName: string;
}

/**
 * Points every handler of this process at the local endpoints: the environment a deployed function
 * gets from its row in lib/constructs/reading-api/functions.ts, plus the bundled constants and
 * test credentials. Used by the local room and the test harness alike.
 */
export function useHandlerEnvironment(e: HandlerEnvironment): void {
  Object.assign(process.env, {
    AWS_REGION: e.region,
    AWS_DEFAULT_REGION: e.region,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_ENDPOINT_URL: e.awsEndpoint,
    AWS_ENDPOINT_URL_APPSTREAM: e.appStreamEndpoint,
    READROOM_S3_PATH_STYLE: '1',
    STUDY_ID: e.studyId,
    TABLE_NAME: e.tableName,
    BUCKET_NAME: e.bucketName,
    FLEET_NAME: e.fleetName,
    APPSTREAM_STACK_NAME: e.appStreamStackName,
    STREAMING_URL_VALIDITY_SECONDS: String(e.streamingUrlValiditySeconds),
    SESSION_MAX_SECONDS: String(e.sessionMaxSeconds),
    READROOM_READING_CONFIG: JSON.stringify(e.readingConfig),
    READROOM_STUDY_DISPLAY_NAME: e.studyDisplayName,
  });
  delete process.env.AWS_PROFILE;
}
