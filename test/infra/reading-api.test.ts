/**
 * The reading workflow API in the reading stack: HTTP API + JWT authorizer + routes, the private
 * fleet API, the manifest rule, and each function's runtime defaults and least-privilege access.
 */
import { CfnElement, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { IConstruct } from 'constructs';
import { buildStudy } from '../helpers/studies';
import { SynthesizedStudy, createTestApp, synthStudy } from '../helpers/test-app';
import { CfnTemplateJson, Json, json, onlyResource, render, resourcesOfType } from '../helpers/template';
import { READING_FUNCTIONS, ReadingHttpApi } from '../../lib/constructs/reading-api';
import { ROUTES } from '../lambda/routes';

let s: SynthesizedStudy;
let reading: CfnTemplateJson;
let data: CfnTemplateJson;
beforeAll(() => {
  s = synthStudy(buildStudy());
  reading = json(s.reading);
  data = json(s.data);
}, 60_000);

/** Construct ids of the reading functions: every row of the function table. */
const FUNCTIONS = Object.values(READING_FUNCTIONS).map((f) => f.id);

/** Logical id of the one resource of `type` whose id starts with `prefix` (CDK appends a hash). */
function idOf(template: CfnTemplateJson, type: string, prefix: string): string {
  const ids = Object.keys(resourcesOfType(template, type)).filter((id) => id.startsWith(prefix));
  expect(ids).toHaveLength(1);
  return ids[0];
}

/** Every IAM statement attached to the role `roleId`, inline or customer-managed (in either stack). */
function statementsOf(roleId: string): Array<{ Action: string | string[]; Resource: unknown }> {
  const out: Array<{ Action: string | string[]; Resource: unknown }> = [];
  for (const [template, type] of [
    [reading, 'AWS::IAM::Policy'],
    [reading, 'AWS::IAM::ManagedPolicy'],
  ] as const) {
    for (const r of Object.values(resourcesOfType(template, type))) {
      const p = r.Properties as { Roles?: unknown[]; PolicyDocument: { Statement: Array<{ Action: string | string[]; Resource: unknown }> } };
      if (render(p.Roles as never).includes(roleId)) out.push(...p.PolicyDocument.Statement);
    }
  }
  // Managed policies owned by the data stack, attached through the role's ManagedPolicyArns.
  const role = resourcesOfType(reading, 'AWS::IAM::Role')[roleId].Properties as { ManagedPolicyArns?: unknown[] };
  const attached = render((role.ManagedPolicyArns ?? []) as never);
  for (const [id, r] of Object.entries(resourcesOfType(data, 'AWS::IAM::ManagedPolicy'))) {
    if (attached.includes(id)) out.push(...(r.Properties as { PolicyDocument: { Statement: Array<{ Action: string | string[]; Resource: unknown }> } }).PolicyDocument.Statement);
  }
  return out;
}

const actions = (roleId: string) => statementsOf(roleId).flatMap((st) => (Array.isArray(st.Action) ? st.Action : [st.Action]));
const roleOf = (fn: string) => {
  const f = resourcesOfType(reading, 'AWS::Lambda::Function')[idOf(reading, 'AWS::Lambda::Function', `Api${fn}`)];
  return ((f.Properties as { Role: { 'Fn::GetAtt': [string, string] } }).Role['Fn::GetAtt'])[0];
};

/**
 * Which function serves each route of the HTTP API (issue 11: reader routes by assignment ref,
 * adjudicator routes by case id; the adjudicator's image session is the adjudication function's).
 */
const ROUTE_FUNCTIONS: Record<string, string> = {
  'GET /me': 'ReaderFunction',
  'GET /study': 'ReaderFunction',
  'GET /queue': 'ReaderFunction',
  'POST /queue/next': 'ReaderFunction',
  'GET /assignments/{ref}/read': 'ReaderFunction',
  'PUT /assignments/{ref}/read': 'ReaderFunction',
  'POST /assignments/{ref}/session': 'ReaderFunction',
  'GET /adjudications': 'AdjudicationFunction',
  'GET /adjudications/{caseId}': 'AdjudicationFunction',
  'PUT /adjudications/{caseId}': 'AdjudicationFunction',
  'POST /adjudications/{caseId}/session': 'AdjudicationFunction',
  'POST /assignments': 'CoordinatorFunction',
  'POST /assignments/{ref}/withdraw': 'CoordinatorFunction',
  'GET /progress': 'CoordinatorFunction',
  'POST /exports': 'CoordinatorFunction',
  'GET /exports/{exportId}': 'CoordinatorFunction',
  'GET /audit': 'CoordinatorFunction',
};
/** Construct id → the handler module of its folder, from the function table. */
const HANDLER_OF: Record<string, string> = Object.fromEntries(Object.values(READING_FUNCTIONS).map((f) => [f.id, `lambda/${f.folder}/handler`]));

const logicalIdIn = (c: IConstruct) => s.stacks.data.getLogicalId(c.node.defaultChild as CfnElement);

/** A cross-stack reference (`Fn::GetStackOutput`) replaced by the value the data stack exports. */
function fromData(value: Json): Json {
  const out = (value as { 'Fn::GetStackOutput'?: { StackName: string; OutputName: string } })['Fn::GetStackOutput'];
  expect(out?.StackName).toBe(s.stacks.data.stackName);
  return data.Outputs![out!.OutputName].Value;
}

type RouteProps = { ApiId: Json; RouteKey: string; AuthorizationType: string; AuthorizerId: Json; Target: Json };
const httpRoutes = () => Object.values(resourcesOfType(reading, 'AWS::ApiGatewayV2::Route')).map((r) => r.Properties as unknown as RouteProps);

/** Route key → the function (`ReaderFunction`, …) its integration invokes. */
function routeTargets(): Record<string, string> {
  const integrations = resourcesOfType(reading, 'AWS::ApiGatewayV2::Integration');
  return Object.fromEntries(
    httpRoutes().map((route) => {
      const target = route.Target as { 'Fn::Join': [string, [string, { Ref: string }]] };
      expect(target['Fn::Join'][1][0]).toBe('integrations/');
      const integration = integrations[target['Fn::Join'][1][1].Ref].Properties as { ApiId: Json; IntegrationType: string; PayloadFormatVersion: string; IntegrationUri: { 'Fn::GetAtt': [string, string] } };
      expect(integration).toMatchObject({ ApiId: route.ApiId, IntegrationType: 'AWS_PROXY', PayloadFormatVersion: '2.0' });
      const fnId = integration.IntegrationUri['Fn::GetAtt'][0];
      expect(integration.IntegrationUri['Fn::GetAtt'][1]).toBe('Arn');
      return [route.RouteKey, FUNCTIONS.find((f) => fnId === idOf(reading, 'AWS::Lambda::Function', `Api${f}`)) ?? fnId];
    }),
  );
}

describe('HTTP API', () => {
  test('its one authorizer is a JWT authorizer for the study user pool (issuer) and the portal client (audience)', () => {
    const [authorizerId, authorizer] = onlyResource(reading, 'AWS::ApiGatewayV2::Authorizer');
    const p = authorizer.Properties as { ApiId: Json; AuthorizerType: string; IdentitySource: string[]; JwtConfiguration: { Audience: Json[]; Issuer: { 'Fn::Join': [string, Json[]] } } };
    expect(p).toMatchObject({ ApiId: { Ref: onlyResource(reading, 'AWS::ApiGatewayV2::Api')[0] }, AuthorizerType: 'JWT', IdentitySource: ['$request.header.Authorization'] });
    expect(p.JwtConfiguration.Audience.map(fromData)).toEqual([{ Ref: logicalIdIn(s.stacks.data.readers.portalClient) }]);
    const [sep, parts] = p.JwtConfiguration.Issuer['Fn::Join'];
    const [region, urlSuffix, slash, poolId] = parts;
    expect([sep, region, urlSuffix, slash, parts.length]).toEqual(['', `https://cognito-idp.${s.stacks.data.region}.`, { Ref: 'AWS::URLSuffix' }, '/', 4]);
    expect(fromData(poolId)).toEqual({ Ref: logicalIdIn(s.stacks.data.readers.userPool) });
    // The pool's own issuer, spelled the same way: the region is the pool's (the data stack's).
    expect(s.stacks.reading.region).toBe(s.stacks.data.region);
    expect(authorizerId).toMatch(/^ApiHttpApiCognito/);
  });

  test('every route uses it; the private fleet API has no authorizer of its own (IAM only, tested below)', () => {
    const authorizerId = onlyResource(reading, 'AWS::ApiGatewayV2::Authorizer')[0];
    expect(httpRoutes()).toHaveLength(Object.keys(ROUTE_FUNCTIONS).length);
    for (const r of httpRoutes()) expect({ route: r.RouteKey, type: r.AuthorizationType, authorizer: r.AuthorizerId }).toEqual({ route: r.RouteKey, type: 'JWT', authorizer: { Ref: authorizerId } });
    s.reading.resourceCountIs('AWS::ApiGateway::Authorizer', 0);
    for (const m of Object.values(resourcesOfType(reading, 'AWS::ApiGateway::Method'))) expect((m.Properties as { AuthorizationType: string }).AuthorizationType).toBe('AWS_IAM');
  });

  test('each route key is served by its function (route → integration → function)', () => {
    expect(routeTargets()).toEqual(ROUTE_FUNCTIONS);
  });

  test("its routes are exactly the authorization matrix's (test/lambda/routes.ts), each served by the handler the matrix runs", () => {
    const matrix = ROUTES.map((r) => r.routeKey);
    expect(new Set(matrix).size).toBe(matrix.length);
    expect(httpRoutes().map((r) => r.RouteKey).sort()).toEqual([...matrix].sort());
    const served = routeTargets();
    expect(Object.fromEntries(ROUTES.map((r) => [r.routeKey, r.module]))).toEqual(Object.fromEntries(Object.entries(served).map(([k, fn]) => [k, HANDLER_OF[fn]])));
  });

  test('CORS allows only the portal origin and the headers the portal sends', () => {
    s.reading.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      ProtocolType: 'HTTP',
      CorsConfiguration: Match.objectLike({
        AllowOrigins: [{ 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [Match.stringLikeRegexp('^PortalDistribution'), 'DomainName'] }]] }],
        AllowHeaders: Match.arrayWith(['authorization', 'if-match', 'idempotency-key']),
      }),
    });
  });

  test('the stage throttles and writes JSON access logs to a KMS-encrypted group', () => {
    s.reading.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
      AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('"sub":"\\$context.authorizer.claims.sub"') },
    });
  });
});

test('a route key that is not `METHOD /path` is refused when the API is built', () => {
  const stack = new Stack(createTestApp(), 'Routes', { env: { account: '111122223333', region: 'ap-northeast-2' } });
  const pool = new cognito.UserPool(stack, 'Pool');
  const handler = new lambda.Function(stack, 'Fn', { runtime: lambda.Runtime.NODEJS_22_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler = async () => ({})') });
  const api = (routeKey: string, id: string) =>
    new ReadingHttpApi(stack, id, {
      studyId: 'x',
      userPool: pool,
      portalClient: pool.addClient(`${id}Client`),
      allowedOrigins: ['https://portal.example.org'],
      routes: [{ routeKey, handler }],
      encryptionKey: new kms.Key(stack, `${id}Key`),
      logRetention: 365,
      logRemovalPolicy: RemovalPolicy.DESTROY,
    });
  expect(() => api('FETCH /me', 'A')).toThrow("ReadingHttpApi: 'FETCH /me' is not a route key ('METHOD /path')");
  expect(() => api('GET me', 'B')).toThrow("ReadingHttpApi: 'GET me' is not a route key");
  expect(() => api('GET /me', 'C')).not.toThrow();
});

describe('private fleet API', () => {
  test('is PRIVATE, bound to the execute-api endpoint, and denies every other source', () => {
    const api = Object.values(resourcesOfType(reading, 'AWS::ApiGateway::RestApi'))[0].Properties as Record<string, unknown>;
    expect(api.EndpointConfiguration).toMatchObject({ Types: ['PRIVATE'] });
    const policy = render(api.Policy as never);
    expect(policy).toContain('"Effect":"Deny"');
    expect(policy).toContain('aws:SourceVpce');
  });

  test('the one method needs SigV4 (IAM) and a sessionId query parameter', () => {
    s.reading.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'GET',
      AuthorizationType: 'AWS_IAM',
      RequestParameters: { 'method.request.querystring.sessionId': true },
    });
  });

  test('the fleet role may invoke only that route and nothing else', () => {
    const fleetRole = Object.keys(resourcesOfType(reading, 'AWS::IAM::Role')).find((id) => id.startsWith('StreamingInstanceRole'))!;
    const granted = statementsOf(fleetRole);
    expect(granted.flatMap((st) => st.Action)).toEqual(['execute-api:Invoke']);
    expect(render(granted[0].Resource as never)).toContain('/GET/fleet/case-files');
  });
});

describe('functions', () => {
  test.each(FUNCTIONS)('%s: Node.js 22, arm64, in the VPC, traced, capped, DLQ, encrypted env and logs', (fn) => {
    const id = idOf(reading, 'AWS::Lambda::Function', `Api${fn}`);
    // This function alone, not "some function of the stack".
    Template.fromJSON({ Resources: { [id]: resourcesOfType(reading, 'AWS::Lambda::Function')[id] } }).hasResource('AWS::Lambda::Function', {
      Properties: Match.objectLike({
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
        ReservedConcurrentExecutions: Match.anyValue(),
        DeadLetterConfig: { TargetArn: Match.anyValue() },
        KmsKeyArn: Match.anyValue(),
        VpcConfig: { SubnetIds: Match.anyValue(), SecurityGroupIds: Match.anyValue() },
        Environment: { Variables: Match.objectLike({ NODE_OPTIONS: '--enable-source-maps', STUDY_ID: 'example' }) },
        LoggingConfig: { LogGroup: Match.anyValue() },
      }),
    });
    expect(id).toMatch(new RegExp(`^Api${fn}`));
  });

  test('log groups of the functions are KMS-encrypted with the study retention', () => {
    const groups = Object.entries(resourcesOfType(reading, 'AWS::Logs::LogGroup')).filter(([id]) => FUNCTIONS.some((f) => id.startsWith(`Api${f}Logs`)));
    expect(groups).toHaveLength(FUNCTIONS.length);
    for (const [, g] of groups) expect(g.Properties).toMatchObject({ RetentionInDays: 365, KmsKeyId: expect.anything() });
  });

  /** The reading stack's function and API log groups: evidence, kept when the stack is destroyed between seasons of a `retain` study. */
  const evidenceLogs = (template: CfnTemplateJson) =>
    Object.entries(template.Resources)
      .filter(([id, r]) => r.Type === 'AWS::Logs::LogGroup' && (FUNCTIONS.some((f) => id.startsWith(`Api${f}Logs`)) || /^Api(Http|Fleet)ApiAccessLogs/.test(id)))
      .map(([id, r]) => [id, r.DeletionPolicy, r.UpdateReplacePolicy]);

  test('with a `retain` study the function and API log groups outlive the reading stack', () => {
    const groups = evidenceLogs(reading);
    expect(groups).toHaveLength(FUNCTIONS.length + 2);
    for (const [id, deletion, replace] of groups) expect([id, deletion, replace]).toEqual([id, 'Retain', 'Retain']);
  });

  test('with a `destroy` study they go with it', () => {
    const groups = evidenceLogs(json(synthStudy(buildStudy({ retention: { data: 'destroy' } })).reading));
    expect(groups).toHaveLength(FUNCTIONS.length + 2);
    for (const [id, deletion, replace] of groups) expect([id, deletion, replace]).toEqual([id, 'Delete', 'Delete']);
  }, 30_000);

  test('the study reading config is not in the Lambda environment (it is bundled, 4 KB limit)', () => {
    for (const f of Object.values(resourcesOfType(reading, 'AWS::Lambda::Function'))) {
      expect(render(f.Properties as never)).not.toContain('READROOM_READING_CONFIG');
    }
  });

  test('no function role uses an AWS-managed policy', () => {
    for (const fn of FUNCTIONS) {
      const role = resourcesOfType(reading, 'AWS::IAM::Role')[roleOf(fn)].Properties as { ManagedPolicyArns?: unknown[] };
      expect(render((role.ManagedPolicyArns ?? []) as never)).not.toContain('aws:policy');
    }
  });
});

describe('least privilege', () => {
  test('no function can scan the table or use wildcard DynamoDB/S3 actions', () => {
    for (const fn of FUNCTIONS) {
      const granted = actions(roleOf(fn));
      expect(granted).not.toContain('dynamodb:Scan');
      expect(granted.filter((a) => /^(dynamodb|s3):.*\*/.test(a))).toEqual([]);
    }
  });

  test('only the case-files function reads case files, only the registry reads manifests; the worker writes exports, the coordinator only reads them', () => {
    const objectPatterns = (fn: string) =>
      statementsOf(roleOf(fn))
        .filter((st) => [st.Action].flat().some((a) => a.startsWith('s3:')))
        .map((st) => render(st.Resource as never));
    expect(objectPatterns('ReaderFunction')).toEqual([]);
    expect(objectPatterns('AdjudicationFunction')).toEqual([]);
    expect(objectPatterns('CaseFilesFunction').join()).toContain('/cases/*');
    expect(objectPatterns('RegistryFunction').join()).toContain('/cases/*/manifest.json');
    expect(objectPatterns('RegistryFunction').join()).not.toMatch(/\/cases\/\*"/);
    expect(objectPatterns('CoordinatorFunction').join()).toContain('/exports/*');
    expect(objectPatterns('CoordinatorFunction').join()).not.toContain('/cases/');
    expect(objectPatterns('ExportWorkerFunction').join()).toContain('/exports/*');
    expect(objectPatterns('ExportWorkerFunction').join()).not.toContain('/cases/');
    const s3Actions = (fn: string) => actions(roleOf(fn)).filter((a) => a.startsWith('s3:')).sort();
    expect(s3Actions('ExportWorkerFunction')).toEqual(['s3:AbortMultipartUpload', 's3:PutObject']);
    expect(s3Actions('CoordinatorFunction')).toEqual(['s3:GetObject']);
  });

  test('only the reader and adjudication functions issue streaming URLs (and do nothing else on AppStream); case-files may only describe sessions', () => {
    const appstream = (fn: string) => actions(roleOf(fn)).filter((a) => a.startsWith('appstream:'));
    expect(appstream('ReaderFunction')).toEqual(['appstream:CreateStreamingURL']);
    expect(appstream('AdjudicationFunction')).toEqual(['appstream:CreateStreamingURL']);
    expect(appstream('CaseFilesFunction')).toEqual(['appstream:DescribeSessions']);
    for (const fn of ['CoordinatorFunction', 'ExportWorkerFunction', 'RegistryFunction']) expect(appstream(fn)).toEqual([]);
  });
});

test('manifest uploads reach the registry through EventBridge, with a dead-letter queue', () => {
  s.reading.hasResourceProperties('AWS::Events::Rule', {
    EventPattern: {
      source: ['aws.s3'],
      'detail-type': ['Object Created'],
      detail: { bucket: { name: Match.anyValue() }, object: { key: [{ wildcard: 'cases/*/manifest.json' }] } },
    },
    Targets: [Match.objectLike({ DeadLetterConfig: Match.anyValue(), RetryPolicy: Match.anyValue() })],
  });
  s.data.hasResourceProperties('AWS::S3::Bucket', { NotificationConfiguration: { EventBridgeConfiguration: { EventBridgeEnabled: true } } });
});

describe('export worker', () => {
  const mapping = () => Object.values(resourcesOfType(reading, 'AWS::Lambda::EventSourceMapping'))[0].Properties as Record<string, unknown>;

  test('the reading table streams new images', () => {
    s.data.hasResourceProperties('AWS::DynamoDB::GlobalTable', { StreamSpecification: { StreamViewType: 'NEW_IMAGE' } });
  });

  test("the table's stream starts it only for queued export jobs (inserted, or requeued to resume), one at a time, with retries and a dead-letter queue", () => {
    expect(Object.keys(resourcesOfType(reading, 'AWS::Lambda::EventSourceMapping'))).toHaveLength(1);
    const m = mapping();
    expect(render(m.FunctionName as never)).toContain('ApiExportWorkerFunction');
    expect(render(m.EventSourceArn as never)).toContain('StreamArn');
    expect(m).toMatchObject({ BatchSize: 1, MaximumRetryAttempts: 2, StartingPosition: 'LATEST' });
    expect(render(m.DestinationConfig as never)).toContain('ApiExportWorkerFunctionDeadLetters');
    const filters = (m.FilterCriteria as { Filters: { Pattern: string }[] }).Filters.map((f) => JSON.parse(f.Pattern));
    expect(filters).toEqual([{ eventName: ['INSERT', 'MODIFY'], dynamodb: { NewImage: { type: { S: ['export'] }, status: { S: ['queued'] } } } }]);
  });

  test('runs up to 15 minutes, at most two at once', () => {
    const id = idOf(reading, 'AWS::Lambda::Function', 'ApiExportWorkerFunction');
    expect(resourcesOfType(reading, 'AWS::Lambda::Function')[id].Properties).toMatchObject({ Timeout: 900, ReservedConcurrentExecutions: 2 });
  });

  test('reads the stream (the mapping grants it); no Scan', () => {
    const granted = actions(roleOf('ExportWorkerFunction'));
    expect(granted).toEqual(expect.arrayContaining(['dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:DescribeStream']));
    expect(granted).not.toContain('dynamodb:Scan');
  });
});
