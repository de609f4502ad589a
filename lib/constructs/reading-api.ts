import { Duration, Names, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { z } from 'zod';
import type { AdjudicationEnvSchema } from '../../lambda/adjudication-api/env';
import type { CaseFilesEnvSchema } from '../../lambda/case-files/env';
import type { CoordinatorEnvSchema } from '../../lambda/coordinator-api/env';
import type { ExportWorkerEnvSchema } from '../../lambda/export-worker/env';
import type { ReaderApiEnvSchema } from '../../lambda/reader-api/env';
import type { RegisterCaseEnvSchema } from '../../lambda/register-case/env';
import { AppFunction } from './app-function';
import { AppStreamAction, AppStreamFleet } from './appstream-fleet';
import { viaServices } from './encryption';
import { CASES_PREFIX, ScansAccessPolicies } from './scans-store';
import { READING_TABLE_INDEXES } from './reading-table';

export interface ReadingApiProps {
  readonly studyId: string;
  readonly vpc: ec2.IVpc;
  readonly functionSecurityGroup: ec2.ISecurityGroup;
  /** The `execute-api` interface endpoint that is the only way into the private fleet API. */
  readonly apiEndpoint: ec2.IInterfaceVpcEndpoint;
  readonly encryptionKey: kms.IKey;
  readonly scansBucket: s3.IBucket;
  /** The only object access the functions get (policies owned by the data stack). */
  readonly scansAccess: ScansAccessPolicies;
  readonly table: dynamodb.ITableV2;
  readonly userPool: cognito.IUserPool;
  readonly portalClient: cognito.IUserPoolClient;
  readonly streaming: AppStreamFleet;
  /** The study's reading config (form, rules, assignment), inlined into the bundles as JSON. */
  readonly readingConfigJson: string;
  /** The study's display name (GET /study), inlined into the bundles beside the reading config. */
  readonly studyDisplayName: string;
  readonly streamingUrlValiditySeconds: number;
  /** The fleet's maximum session length: how long an issued session id stays usable. */
  readonly sessionMaxSeconds: number;
  /** Browser origins allowed by CORS (https://portal-domain). */
  readonly allowedOrigins: string[];
  readonly logRetention: logs.RetentionDays;
  /** What happens to the functions' and APIs' log groups with the stack: kept with a `retain` study (evidence outlives the stateless stack). */
  readonly logRemovalPolicy: RemovalPolicy;
  /**
   * Steady-state requests per second across the API (100 readers need a few).
   * @default 50
   */
  readonly throttleRatePerSecond?: number;
}

type FunctionKey = 'reader' | 'adjudication' | 'coordinator' | 'exportWorker' | 'registry' | 'caseFiles';

type ItemAction = 'GetItem' | 'BatchGetItem' | 'PutItem' | 'UpdateItem' | 'ConditionCheckItem';
const WRITES: ReadonlySet<ItemAction> = new Set(['PutItem', 'UpdateItem']);

/**
 * What one function may do: exactly the calls its code sends (lambda/<fn> and the
 * lambda/store functions it uses), nothing "just in case". test/infra/function-access.test.ts
 * pins the policies this produces, so a change here is a change there.
 */
interface FunctionAccess {
  /**
   * DynamoDB item actions, on the table. A TransactWriteItems call needs the action of each kind
   * of item it carries: Put → PutItem, Update → UpdateItem, ConditionCheck → ConditionCheckItem.
   */
  readonly items: readonly ItemAction[];
  /**
   * Partition keys its writes (PutItem, UpdateItem) may touch, as `dynamodb:LeadingKeys`: a key
   * ending in `#` stands for that prefix, any other for itself. Given where a function writes a few
   * kinds of item only; absent, its writes may touch any item of the table. Literal prefixes of
   * lambda/store/keys.ts: lib/ imports nothing of lambda/ but its env.ts types.
   */
  readonly writesUnder?: readonly string[];
  /** Where it runs Query: the table itself and the indexes it reads. */
  readonly queries: ReadonlyArray<'table' | (typeof READING_TABLE_INDEXES)[number]>;
  /** The scans-bucket policy (owned by the data stack) for the objects it touches. */
  readonly objects?: keyof ScansAccessPolicies;
  /** AppStream calls, on the study's fleet and stack. */
  readonly appStream?: readonly AppStreamAction[];
  /** Cognito user-pool calls, on the study's pool only. */
  readonly directory?: ReadonlyArray<'ListUsersInGroup'>;
}

const ACCESS: Record<FunctionKey, FunctionAccess> = {
  // Queue (gsi1 QUEUE#), claim next (gsi2 CLAIMABLE), read saves and their outcome in one
  // transaction (ConditionCheck of the other reads); streaming URLs.
  reader: { items: ['GetItem', 'PutItem', 'UpdateItem', 'ConditionCheckItem'], queries: ['table', 'gsi1', 'gsi2'], appStream: ['CreateStreamingURL'] },
  // Task lists (gsi2 ADJ#) with one BatchGetItem of their cases' site and exclusions (conflict of
  // interest); a resolution is one transaction that condition-checks every read; streaming URLs
  // on a task's case (the session Put with its audit Put).
  adjudication: { items: ['GetItem', 'BatchGetItem', 'PutItem', 'UpdateItem', 'ConditionCheckItem'], queries: ['table', 'gsi2'], appStream: ['CreateStreamingURL'] },
  // Bulk assignment and progress (gsi1 CASES/QUEUE#/REJECTIONS, gsi2 READERS/ADJ#); queues
  // exports and presigns their download links; bulk assignment reads the reader group (with each
  // reader's site) from the user pool.
  coordinator: { items: ['GetItem', 'PutItem', 'UpdateItem'], queries: ['table', 'gsi1', 'gsi2'], objects: 'readExports', directory: ['ListUsersInGroup'] },
  // Pages of cases (gsi1 CASES) with one BatchGetItem of their finals; takes and finishes its job
  // by Update and transactions; never a single GetItem. Writes only its job, the pseudonyms and audit events.
  exportWorker: {
    items: ['BatchGetItem', 'PutItem', 'UpdateItem'],
    writesUnder: ['EXPORT#', 'PSEUDONYMS', 'AUDIT#'],
    queries: ['table', 'gsi1'],
    objects: 'writeExports',
  },
  // Put (else Update) the case, Query + Update its outstanding rejections; reads nothing by key.
  registry: { items: ['PutItem', 'UpdateItem'], writesUnder: ['CASE#', 'AUDIT#'], queries: ['table'], objects: 'readManifests' },
  // Session, assignment or task, and case by GetItem; the adjudicator's conflict check by Query;
  // one audit Put; AppStream says which instance streams the session.
  caseFiles: { items: ['GetItem', 'PutItem'], writesUnder: ['AUDIT#'], queries: ['table'], objects: 'readCaseFiles', appStream: ['DescribeSessions'] },
};

/**
 * Every table action some function holds, Query included: all the reading table's traffic through
 * the study VPC, so the DynamoDB gateway endpoint allows these and nothing else. (The export
 * worker's stream reads run in Lambda's own pollers, outside the VPC.)
 */
export const TABLE_ACTIONS_IN_VPC: readonly string[] = [...new Set([...Object.values(ACCESS).flatMap((a) => a.items), 'Query'])].sort();

/**
 * A function's Lambda environment, checked against its env.ts schema at compile time: every
 * variable the schema requires and, through the excess-property check of the object literal, none
 * it does not declare. The reading config is bundled (4 KB limit), never an environment variable.
 */
type EnvOf<S extends z.ZodType> = { [K in keyof Omit<z.input<S>, 'READROOM_READING_CONFIG' | 'READROOM_STUDY_DISPLAY_NAME'>]: string };
const envOf = <S extends z.ZodType>(vars: EnvOf<S>): Record<string, string> => vars as Record<string, string>;

type Extra = { timeout?: Duration; memorySize?: number; reservedConcurrentExecutions?: number };

/**
 * The reading workflow API: an HTTP API with a Cognito JWT authorizer (roles are checked in the
 * handlers from `cognito:groups`), CORS for the portal only, throttling and JSON access logs; one
 * function per area (reader, adjudication, coordinator) with least-privilege grants; the case
 * registry driven by S3 `Object Created` events; and a private REST API, reachable only through the
 * study VPC's `execute-api` endpoint with the fleet role's SigV4 signature, that hands a streaming
 * instance presigned URLs for the files of the case its reader was issued.
 */
export class ReadingApi extends Construct {
  readonly httpApi: apigwv2.HttpApi;
  readonly fleetApi: apigw.RestApi;
  readonly functions: Record<FunctionKey, AppFunction>;

  constructor(scope: Construct, id: string, props: ReadingApiProps) {
    super(scope, id);
    const table = props.table.tableName;
    const bucket = props.scansBucket.bucketName;
    // Each function gets only the variables its schema declares (test/infra/function-access.test.ts).
    const environment: Record<FunctionKey, Record<string, string>> = {
      reader: envOf<typeof ReaderApiEnvSchema>({
        STUDY_ID: props.studyId,
        TABLE_NAME: table,
        FLEET_NAME: props.streaming.fleetName,
        APPSTREAM_STACK_NAME: props.streaming.stackName,
        STREAMING_URL_VALIDITY_SECONDS: String(props.streamingUrlValiditySeconds),
        SESSION_MAX_SECONDS: String(props.sessionMaxSeconds),
      }),
      adjudication: envOf<typeof AdjudicationEnvSchema>({
        STUDY_ID: props.studyId,
        TABLE_NAME: table,
        FLEET_NAME: props.streaming.fleetName,
        APPSTREAM_STACK_NAME: props.streaming.stackName,
        STREAMING_URL_VALIDITY_SECONDS: String(props.streamingUrlValiditySeconds),
        SESSION_MAX_SECONDS: String(props.sessionMaxSeconds),
      }),
      coordinator: envOf<typeof CoordinatorEnvSchema>({ STUDY_ID: props.studyId, TABLE_NAME: table, BUCKET_NAME: bucket, USER_POOL_ID: props.userPool.userPoolId }),
      exportWorker: envOf<typeof ExportWorkerEnvSchema>({ STUDY_ID: props.studyId, TABLE_NAME: table, BUCKET_NAME: bucket }),
      registry: envOf<typeof RegisterCaseEnvSchema>({ STUDY_ID: props.studyId, TABLE_NAME: table, BUCKET_NAME: bucket }),
      caseFiles: envOf<typeof CaseFilesEnvSchema>({
        STUDY_ID: props.studyId,
        TABLE_NAME: table,
        BUCKET_NAME: bucket,
        FLEET_NAME: props.streaming.fleetName,
        APPSTREAM_STACK_NAME: props.streaming.stackName,
      }),
    };
    const make = (key: FunctionKey, fnId: string, name: string, extra: Extra = {}) => {
      const fn = new AppFunction(this, fnId, {
        name,
        environment: environment[key],
        bundledConstants: { READROOM_READING_CONFIG: props.readingConfigJson, READROOM_STUDY_DISPLAY_NAME: props.studyDisplayName },
        vpc: props.vpc,
        securityGroup: props.functionSecurityGroup,
        encryptionKey: props.encryptionKey,
        logRetention: props.logRetention,
        logRemovalPolicy: props.logRemovalPolicy,
        ...extra,
      });
      this.grant(fn, props, ACCESS[key]);
      return fn;
    };

    const reader = make('reader', 'ReaderFunction', 'reader-api');
    const adjudication = make('adjudication', 'AdjudicationFunction', 'adjudication-api');
    // The coordinator only queues exports and presigns their links; the worker writes them. Its long
    // timeout is for bulk assignment: past the API's 30 s the caller gets a 503, but the run
    // finishes (every assignment is its own transaction, and a rerun skips what exists).
    const coordinator = make('coordinator', 'CoordinatorFunction', 'coordinator-api', { timeout: Duration.minutes(5), memorySize: 1024 });
    const exportWorker = this.createExportWorker(props, make);
    // Listing a case folder proves its files exist without reading a single image.
    const registry = make('registry', 'RegistryFunction', 'register-case', { timeout: Duration.seconds(30) });
    const caseFiles = make('caseFiles', 'CaseFilesFunction', 'case-files');
    this.functions = { reader, adjudication, coordinator, exportWorker, registry, caseFiles };

    this.httpApi = this.createHttpApi(props, { reader, adjudication, coordinator });
    this.fleetApi = this.createFleetApi(props, caseFiles);
    for (const fn of Object.values(this.functions)) {
      fn.acknowledgeGrants();
      // Node.js 22 is the runtime the handlers are tested on; moving to a newer one is a deliberate, tested change.
      Validations.of(fn.node.defaultChild!).acknowledge({ id: 'AwsSolutions-L1', reason: 'Pinned to Node.js 22 (supported LTS), the runtime the handlers and benchmarks are tested on; upgrades are made deliberately with the tests, not implicitly.' });
    }

    // Manifests arrive as S3 events through EventBridge, so the data stack needs no reference back
    // to this (destroyable) stack.
    new events.Rule(this, 'ManifestUploaded', {
      description: 'Registers a case when its manifest is uploaded',
      eventPattern: {
        source: ['aws.s3'],
        detailType: ['Object Created'],
        detail: { bucket: { name: [props.scansBucket.bucketName] }, object: { key: [{ wildcard: `${CASES_PREFIX}*/manifest.json` }] } },
      },
      targets: [new targets.LambdaFunction(registry, { deadLetterQueue: registry.deadLetterQueue, retryAttempts: 4 })],
    });
  }

  /**
   * The export worker, started by the reading table's stream on the insert of a queued export job
   * (so queuing is one conditional PutItem: no queue to keep consistent with the job, and no SQS
   * endpoint in a VPC without internet). One job per invocation, up to Lambda's 15 minutes; a
   * redelivered record is a no-op (the job is taken conditionally); a record that still fails
   * after the retries goes to the function's dead-letter queue.
   */
  private createExportWorker(props: ReadingApiProps, make: (key: FunctionKey, fnId: string, name: string, extra?: Extra) => AppFunction): AppFunction {
    const worker = make('exportWorker', 'ExportWorkerFunction', 'export-worker', {
      timeout: Duration.minutes(15),
      memorySize: 1024,
      // Exports are rare; two at once is plenty and bounds the read load they put on the table.
      reservedConcurrentExecutions: 2,
    });
    // The mapping is added directly (same id as DynamoEventSource gives it): DynamoEventSource also
    // grants the table key without kms:ViaService, while the role already holds it through DynamoDB.
    worker.addEventSourceMapping(`DynamoDBEventSource:${Names.nodeUniqueId(props.table.node)}`, {
      eventSourceArn: props.table.tableStreamArn!,
      startingPosition: lambda.StartingPosition.LATEST,
      batchSize: 1,
      retryAttempts: 2,
      maxRecordAge: Duration.hours(1),
      // The worker's own dead-letter queue, which its role may already send to (its asynchronous
      // DLQ); CDK's SqsDlq would add a second, wildcard KMS grant.
      onFailure: ownDeadLetterQueue(worker.deadLetterQueue),
      filters: [
        lambda.FilterCriteria.filter({
          eventName: lambda.FilterRule.isEqual('INSERT'),
          dynamodb: { NewImage: { type: { S: lambda.FilterRule.isEqual('export') }, status: { S: lambda.FilterRule.isEqual('queued') } } },
        }),
      ],
    });
    iam.Grant.addToPrincipal({
      grantee: worker,
      actions: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:ListStreams'],
      resourceArns: [props.table.tableStreamArn!],
    });
    return worker;
  }

  /**
   * One function's `access`: item actions on the table ARN only (they mean nothing on an index),
   * Query on the table and the named indexes (listed, not `index/*`), the study key's data-key
   * actions (table items, environment and dead-letter queue are encrypted with it), the object
   * policy and the AppStream calls.
   */
  private grant(fn: AppFunction, props: ReadingApiProps, access: FunctionAccess): void {
    const arn = props.table.tableArn;
    const scoped = access.writesUnder ? access.items.filter((a) => WRITES.has(a)) : [];
    const free = access.items.filter((a) => !scoped.includes(a));
    if (free.length) iam.Grant.addToPrincipal({ grantee: fn, actions: free.map((a) => `dynamodb:${a}`), resourceArns: [arn] });
    if (scoped.length) {
      fn.addToRolePolicy(
        new iam.PolicyStatement({
          actions: scoped.map((a) => `dynamodb:${a}`),
          resources: [arn],
          conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': access.writesUnder!.map((k) => (k.endsWith('#') ? `${k}*` : k)) } },
        }),
      );
    }
    iam.Grant.addToPrincipal({ grantee: fn, actions: ['dynamodb:Query'], resourceArns: access.queries.map((q) => (q === 'table' ? arn : `${arn}/index/${q}`)) });
    // The key only through the services that hold the function's data: DynamoDB (items, the stream),
    // SQS (its dead-letter queue) and Lambda (its environment).
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:DescribeKey'],
        resources: [props.encryptionKey.keyArn],
        conditions: viaServices(Stack.of(this), 'dynamodb', 'sqs', 'lambda'),
      }),
    );
    if (access.objects) fn.role!.addManagedPolicy(props.scansAccess[access.objects]);
    if (access.appStream) props.streaming.grant(fn, ...access.appStream);
    if (access.directory) iam.Grant.addToPrincipal({ grantee: fn, actions: access.directory.map((a) => `cognito-idp:${a}`), resourceArns: [props.userPool.userPoolArn] });
  }

  private createHttpApi(props: ReadingApiProps, fns: { reader: AppFunction; adjudication: AppFunction; coordinator: AppFunction }): apigwv2.HttpApi {
    const stack = Stack.of(this);
    const authorizer = new HttpJwtAuthorizer('Cognito', `https://cognito-idp.${stack.region}.${stack.urlSuffix}/${props.userPool.userPoolId}`, {
      jwtAudience: [props.portalClient.userPoolClientId],
    });
    const api = new apigwv2.HttpApi(this, 'HttpApi', {
      apiName: `readroom-${props.studyId}-api`,
      description: `ReadRoom ${props.studyId} reading workflow`,
      createDefaultStage: false,
      defaultAuthorizer: authorizer,
      corsPreflight: {
        allowOrigins: props.allowedOrigins,
        allowMethods: [apigwv2.CorsHttpMethod.GET, apigwv2.CorsHttpMethod.POST, apigwv2.CorsHttpMethod.PUT],
        allowHeaders: ['authorization', 'content-type', 'if-match', 'idempotency-key'],
        exposeHeaders: ['etag'],
        maxAge: Duration.hours(1),
      },
    });
    const accessLogs = new logs.LogGroup(this, 'HttpApiAccessLogs', { encryptionKey: props.encryptionKey, retention: props.logRetention, removalPolicy: props.logRemovalPolicy });
    new apigwv2.HttpStage(this, 'HttpApiStage', {
      httpApi: api,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: props.throttleRatePerSecond ?? 50, burstLimit: 2 * (props.throttleRatePerSecond ?? 50) },
      accessLogSettings: { destination: new apigwv2.LogGroupLogDestination(accessLogs), format: accessLogFormat('http') },
    });

    const routes: Array<[apigwv2.HttpMethod, string, AppFunction]> = [
      [apigwv2.HttpMethod.GET, '/me', fns.reader],
      [apigwv2.HttpMethod.GET, '/study', fns.reader],
      [apigwv2.HttpMethod.GET, '/queue', fns.reader],
      [apigwv2.HttpMethod.POST, '/queue/next', fns.reader],
      [apigwv2.HttpMethod.POST, '/assignments/{ref}/session', fns.reader],
      [apigwv2.HttpMethod.GET, '/assignments/{ref}/read', fns.reader],
      [apigwv2.HttpMethod.PUT, '/assignments/{ref}/read', fns.reader],
      [apigwv2.HttpMethod.GET, '/adjudications', fns.adjudication],
      [apigwv2.HttpMethod.GET, '/adjudications/{caseId}', fns.adjudication],
      [apigwv2.HttpMethod.POST, '/adjudications/{caseId}/session', fns.adjudication],
      [apigwv2.HttpMethod.PUT, '/adjudications/{caseId}', fns.adjudication],
      [apigwv2.HttpMethod.POST, '/assignments', fns.coordinator],
      [apigwv2.HttpMethod.GET, '/progress', fns.coordinator],
      [apigwv2.HttpMethod.POST, '/exports', fns.coordinator],
      [apigwv2.HttpMethod.GET, '/exports/{exportId}', fns.coordinator],
      [apigwv2.HttpMethod.GET, '/audit', fns.coordinator],
    ];
    const integrations = new Map<AppFunction, HttpLambdaIntegration>();
    for (const [method, path, fn] of routes) {
      if (!integrations.has(fn)) integrations.set(fn, new HttpLambdaIntegration(`${fn.node.id}Integration`, fn));
      api.addRoutes({ path, methods: [method], integration: integrations.get(fn)! });
    }
    return api;
  }

  private createFleetApi(props: ReadingApiProps, caseFiles: AppFunction): apigw.RestApi {
    const accessLogs = new logs.LogGroup(this, 'FleetApiAccessLogs', { encryptionKey: props.encryptionKey, retention: props.logRetention, removalPolicy: props.logRemovalPolicy });
    const api = new apigw.RestApi(this, 'FleetApi', {
      restApiName: `readroom-${props.studyId}-fleet-api`,
      description: `ReadRoom ${props.studyId}: case files for streaming instances (private)`,
      endpointConfiguration: { types: [apigw.EndpointType.PRIVATE], vpcEndpoints: [props.apiEndpoint] },
      cloudWatchRole: false,
      deployOptions: {
        stageName: 'fleet',
        tracingEnabled: true,
        accessLogDestination: new apigw.LogGroupLogDestination(accessLogs),
        accessLogFormat: accessLogFormat('rest'),
        throttlingRateLimit: 20,
        throttlingBurstLimit: 40,
      },
      policy: new iam.PolicyDocument({
        statements: [
          new iam.PolicyStatement({
            principals: [props.streaming.role],
            actions: ['execute-api:Invoke'],
            resources: ['execute-api:/*/GET/fleet/case-files'],
          }),
          // Nothing reaches it except through the study VPC's endpoint.
          new iam.PolicyStatement({
            effect: iam.Effect.DENY,
            principals: [new iam.AnyPrincipal()],
            actions: ['execute-api:Invoke'],
            resources: ['execute-api:/*'],
            conditions: { StringNotEquals: { 'aws:SourceVpce': props.apiEndpoint.vpcEndpointId } },
          }),
        ],
      }),
    });
    const validator = api.addRequestValidator('RequestValidator', { validateRequestParameters: true, validateRequestBody: true });
    const method = api.root
      .addResource('fleet')
      .addResource('case-files')
      .addMethod('GET', new apigw.LambdaIntegration(caseFiles), {
        authorizationType: apigw.AuthorizationType.IAM,
        requestParameters: { 'method.request.querystring.sessionId': true },
        requestValidator: validator,
      });
    new iam.ManagedPolicy(this, 'FleetInvokePolicy', {
      description: 'Streaming instances may call the case-files route, nothing else',
      roles: [props.streaming.role],
      statements: [new iam.PolicyStatement({ actions: ['execute-api:Invoke'], resources: [method.methodArn] })],
    });
    const stage = api.deploymentStage.node.defaultChild!;
    const ack = (ids: string[], reason: string, on: Construct = stage) => ids.forEach((id) => Validations.of(on).acknowledge({ id, reason }));
    ack(['AwsSolutions-APIG3', 'NIST.800.53.R5-APIGWAssociatedWithWAF'], 'Private API: reachable only through the study VPC interface endpoint (resource policy denies every other source) by the fleet role\'s SigV4 signature; no internet client can reach it for a WAF to filter.');
    ack(
      ['AwsSolutions-APIG6', 'NIST.800.53.R5-APIGWExecutionLoggingEnabled', 'HIPAA.Security-APIGWExecutionLoggingEnabled'],
      'JSON access logs (caller, endpoint, status) go to a KMS-encrypted log group and the function logs every decision; execution logging would need the account-wide API Gateway CloudWatch role, which one study must not change for the whole account.',
    );
    ack(['NIST.800.53.R5-APIGWCacheEnabledAndEncrypted', 'HIPAA.Security-APIGWCacheEnabledAndEncrypted'], 'Responses are per-session presigned URLs; caching them could hand one reader\'s case files to another session, so the API must never cache.');
    ack(['NIST.800.53.R5-APIGWSSLEnabled', 'HIPAA.Security-APIGWSSLEnabled'], 'Client certificates authenticate API Gateway to HTTP backends; this API integrates only with a Lambda function, over AWS\'s own signed invoke.');
    ack(['AwsSolutions-COG4'], 'The caller is a streaming instance, not a person: it signs with the fleet role (IAM authorization), and the function binds the call to the reader\'s active AppStream session.', method.node.defaultChild!);
    return api;
  }
}

/**
 * An on-failure destination that is the function's own dead-letter queue, adding no grant: the
 * role already holds sqs:SendMessage on it (asynchronous DLQ) and the study key through SQS.
 */
function ownDeadLetterQueue(queue: sqs.IQueue): lambda.IEventSourceDlq {
  return { bind: () => ({ destination: queue.queueArn }) };
}

/** JSON access-log line: who (Cognito sub or IAM caller), what, status, latency; never bodies. */
function accessLogFormat(kind: 'http' | 'rest'): apigw.AccessLogFormat {
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
