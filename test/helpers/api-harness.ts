/**
 * The handler test harness: real moto (DynamoDB, S3, Cognito) and ReadRoom's AppStream stand-in,
 * tokens from the emulated user pool, and API Gateway events built the way the HTTP API's JWT
 * authorizer would deliver them.
 *
 *   const h = await startHarness();            // in beforeAll (≈1 s with the run's shared moto, ≈3 s alone)
 *   const res = await h.call(handler, { routeKey: 'GET /me', token: h.users.reader.token });
 *   expect(res.status).toBe(200); res.json …
 *   await h.stop();                             // in afterAll
 *
 * `call` verifies the token first, exactly as API Gateway's JWT authorizer does (signature against
 * the pool's JWKS as moto serves it, issuer = the pool's issuer URL, audience (`aud` for ID tokens,
 * `client_id` for access tokens) = the app client, `exp`, and `token_use` id|access), and answers
 * 401 `{ message: 'Unauthorized' }` itself without invoking the handler when that fails. Otherwise
 * the handler gets an APIGatewayProxyEventV2WithJWTAuthorizer whose claims are the verified ones,
 * stringified as API Gateway does (arrays as "[a b]").
 *
 * Handlers read their environment on first use, so the harness sets process.env in `startHarness`
 * before any handler runs; importing handler modules at the top of a test file is fine.
 *
 * Under jest the harness uses its worker's moto, started once for the run (./global-setup.ts), and
 * resets it first, so a file starts from an empty emulator all the same; elsewhere (a benchmark, a
 * single project run without the global setup) it starts its own.
 *
 * Note what moto does not check (it is the same signing key for every pool, MFA is not enforced,
 * presigned URLs are not verified): "another pool's token" is rejected here by its issuer.
 */
import { createSign, randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent, APIGatewayProxyEventV2WithJWTAuthorizer, S3Event, S3ObjectCreatedNotificationEvent } from 'aws-lambda';
import {
  AdminAddUserToGroupCommand,
  AdminCreateUserCommand,
  AdminDeleteUserAttributesCommand,
  AdminGetUserCommand,
  AdminRemoveUserFromGroupCommand,
  AdminUpdateUserAttributesCommand,
  ListUsersInGroupCommand,
  AdminInitiateAuthCommand,
  AdminSetUserPasswordCommand,
  CognitoIdentityProviderClient,
  CreateGroupCommand,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient, ScanCommand, type BatchWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ReadingConfigSchema, type ReadingConfigInput } from '../../domain/reading-config';
import { readingStore, TABLE_SCHEMA, type ReadingStore } from '../../lambda/store';
import { documentClient } from '../../lambda/runtime/clients/dynamodb';
import { ROLES, type Role } from '../../lambda/runtime/auth';
import { startAppStreamStandIn, type AppStreamStandIn } from '../../local/appstream/standin';
import { jwtAuthorizer } from '../../local/gateway';
import { createTable, fleetEvent, httpEvent, objectCreatedEvent, s3Event, useHandlerEnvironment, type CallRequest, type FleetCallRequest } from '../../local/aws-events';

export { createTable, FLEET_ROLE_ARN, type CallRequest, type FleetCallRequest } from '../../local/aws-events';
import { awsClientConfig, motoSigningKey, testMoto, type MotoServer } from './moto';
import { startSerialProxy, type FaultInjector, type SerialProxy } from './serial-proxy';

/** One Put or Delete of a BatchWriteItem, as the document client takes it. */
export type BatchWriteRequest = NonNullable<BatchWriteCommandInput['RequestItems']>[string][number];

export const REGION = 'ap-northeast-2';
export const STUDY_ID = 'test';
export const STUDY_DISPLAY_NAME = 'Harness eye survey';
export const TABLE_NAME = 'readroom-test-reading';
export const BUCKET_NAME = 'readroom-test-scans';
export const FLEET_NAME = 'readroom-test-fleet';
export const APPSTREAM_STACK_NAME = 'readroom-test';
/** The private IP the stand-in reports for every session's ENI (what the case-files call must come from). */
export const FLEET_ENI_IP = '10.0.12.34';
export const STREAMING_URL_VALIDITY_SECONDS = 60;
export const SESSION_MAX_SECONDS = 14_400;
const PASSWORD = 'Correct-Horse-9-Battery!';
/**
 * The `custom:site` every test user gets unless a test says otherwise (a reader without a valid
 * site takes no case: the same-site rule fails closed). No seeded case has this site.
 */
export const TEST_SITE = 'HARNESS';

/** The fixed users every harness has; `reader2` is "another reader". */
export const USER_NAMES = ['reader', 'reader2', 'adjudicator', 'coordinator', 'admin'] as const;
export type UserName = (typeof USER_NAMES)[number];
const ROLE_OF: Record<UserName, Role[]> = {
  reader: ['reader'],
  reader2: ['reader'],
  adjudicator: ['adjudicator'],
  coordinator: ['coordinator'],
  admin: ['admin'],
};

export interface TestUser {
  username: string;
  /** Cognito `sub`: the reader id everywhere in ReadRoom. */
  sub: string;
  email: string;
  roles: Role[];
  /** The ID token (what the portal sends). */
  token: string;
  accessToken: string;
}

export interface CallResult {
  status: number;
  headers: Record<string, string | number | boolean>;
  /** The body parsed as JSON (undefined when empty or not JSON). */
  json: any;
  body: string | undefined;
  /** False when the harness's authorizer refused the token and the handler never ran. */
  invoked: boolean;
}

export type HttpHandler = (event: APIGatewayProxyEventV2WithJWTAuthorizer) => Promise<unknown>;
export type RestHandler = (event: APIGatewayProxyEvent) => Promise<unknown>;

export interface Harness {
  readonly region: string;
  /**
   * The AWS endpoint everything uses (DynamoDB, S3, Cognito …): moto behind a proxy that forwards
   * one request at a time, because moto is not safe under concurrent requests (./serial-proxy.ts).
   */
  readonly endpoint: string;
  /** moto itself (for its /moto-api and JWKS endpoints). */
  readonly motoEndpoint: string;
  /** Counts the AWS calls through the proxy and breaks one on demand (./serial-proxy.ts). */
  readonly faults: FaultInjector;
  readonly appStream: AppStreamStandIn;
  readonly tableName: string;
  readonly bucketName: string;
  readonly fleetName: string;
  readonly stackName: string;
  readonly pool: { userPoolId: string; clientId: string; issuer: string };
  readonly users: Record<UserName, TestUser>;
  /** Raw SDK clients pointed at moto, for arranging and asserting. */
  readonly ddb: DynamoDBDocumentClient;
  /** The store the functions use, on the harness's client: arranges and checks through the store's own methods. */
  readonly store: ReadingStore;
  readonly s3: S3Client;
  readonly cognito: CognitoIdentityProviderClient;

  /** Invokes an HTTP API handler the way API Gateway + the JWT authorizer would. */
  call(handler: HttpHandler, req: CallRequest): Promise<CallResult>;
  /** Invokes the private REST API handler (AWS_IAM auth by the fleet role) for `GET /fleet/case-files`. */
  callFleet(handler: RestHandler, req: FleetCallRequest): Promise<CallResult>;
  /** Verifies a token as the JWT authorizer does; the verified claims, or undefined. */
  verify(token: string | null | undefined): Promise<Record<string, unknown> | undefined>;
  /** A fresh user of this pool in the given groups (tokens included), with `custom:site` `site` (default TEST_SITE; null: none). */
  createUser(username: string, roles: Role[], site?: string | null): Promise<TestUser>;
  /**
   * Puts users in the pool's reader group as bulk assignment reads it (created when new, without
   * tokens), each with `custom:site` as given (null: none); returns username → sub.
   */
  directoryReaders(specs: ReadonlyArray<[username: string, site: string | null]>): Promise<Record<string, string>>;
  /** Empties the reader group (tokens already issued keep their groups claim), for suites that run bulk assignment. */
  clearDirectory(): Promise<void>;
  /** `n` readers in parallel, named `<prefix>-<i>`. */
  createReaders(n: number, prefix?: string): Promise<TestUser[]>;
  /**
   * `n` readers that exist only as ID tokens: `reader`'s token re-signed with moto's key under a new
   * `sub`, user name and e-mail (same pool, groups and site), so they pass the authorizer exactly as
   * a pool user's would. For tests that need many callers and never ask the directory (bulk
   * assignment does: use `directoryReaders`); a hundred pool users cost a few hundred emulator calls.
   */
  tokenReaders(n: number, prefix?: string): TestUser[];
  /** The same claims as `token`, validly signed by moto's key, but expired. */
  expiredToken(token?: string): string;
  /** A valid token of another user pool (same moto, so same signing key: the issuer is what differs). */
  foreignToken(): string;
  /** `token` with its claims changed by `change`, validly re-signed with moto's key. */
  resign(token: string, change: (claims: Record<string, unknown>) => void): string;
  /** `token` with its signature altered. */
  tamper(token?: string): string;
  /**
   * How many writes (Put/Update/Delete/TransactWrite/BatchWrite) the handlers' shared document
   * client has completed successfully so far. A write that failed its condition is not counted, so
   * "no write succeeded during this call" is a cheap, exact check that a refused call changed nothing.
   */
  writes(): number;
  /** Every item of the table, sorted by pk then sk (a test-only Scan). */
  snapshotTable(): Promise<Record<string, unknown>[]>;
  /** Deletes every item of the table (between tests). */
  clearTable(): Promise<void>;
  /**
   * Puts and deletes items of the table directly (a test's arrangement or clean-up), 25 to a
   * BatchWriteItem; throws if moto leaves any unprocessed.
   */
  writeBatch(requests: BatchWriteRequest[]): Promise<void>;
  putObject(key: string, body: string | Uint8Array): Promise<void>;
  /** An S3 bucket notification (ObjectCreated:Put) for `key` in the scans bucket. */
  s3Event(key: string, opts?: { sequencer?: string; size?: number; bucket?: string }): S3Event;
  /** The same as EventBridge delivers it ("Object Created"; what the stack wires). */
  objectCreatedEvent(key: string, opts?: { sequencer?: string; size?: number; bucket?: string }): S3ObjectCreatedNotificationEvent;
  /** The reading config the handlers run with (process.env.READROOM_READING_CONFIG). */
  readonly readingConfig: ReturnType<typeof ReadingConfigSchema.parse>;
  stop(): Promise<void>;
}

export interface HarnessOptions {
  /** Overrides of the reading config (default: the schema's defaults, i.e. the default form). */
  reading?: ReadingConfigInput;
  /**
   * moto settings for this file, e.g. `S3_UPLOAD_PART_MIN_SIZE`: set on the worker's shared moto
   * when ./moto-server.py can change them while it runs (RUNTIME_MOTO_SETTINGS), else given to an
   * emulator of the harness's own at start-up.
   */
  motoEnv?: Record<string, string>;
}

let sequencer = 0;
const nextSequencer = () => (++sequencer).toString(16).toUpperCase().padStart(16, '0');

export async function startHarness(opts: HarnessOptions = {}): Promise<Harness> {
  const moto: MotoServer = await testMoto(opts.motoEnv);
  let proxy: SerialProxy | undefined;
  let appStream: AppStreamStandIn | undefined;
  try {
    proxy = await startSerialProxy(moto.endpoint);
    appStream = await startAppStreamStandIn({ fleets: [{ name: FLEET_NAME, stackName: APPSTREAM_STACK_NAME, eniPrivateIp: FLEET_ENI_IP }] });
    return await build(moto, proxy, appStream, opts);
  } catch (e) {
    await appStream?.close();
    await proxy?.close();
    await moto.stop();
    throw e;
  }
}

async function build(moto: MotoServer, proxy: SerialProxy, appStream: AppStreamStandIn, opts: HarnessOptions): Promise<Harness> {
  const config = awsClientConfig(proxy.endpoint);
  const readingConfig = ReadingConfigSchema.parse(opts.reading ?? {});
  useHandlerEnvironment({
    region: REGION,
    awsEndpoint: proxy.endpoint,
    appStreamEndpoint: appStream.endpoint,
    studyId: STUDY_ID,
    tableName: TABLE_NAME,
    bucketName: BUCKET_NAME,
    fleetName: FLEET_NAME,
    appStreamStackName: APPSTREAM_STACK_NAME,
    streamingUrlValiditySeconds: STREAMING_URL_VALIDITY_SECONDS,
    sessionMaxSeconds: SESSION_MAX_SECONDS,
    readingConfig,
    studyDisplayName: STUDY_DISPLAY_NAME,
  });

  const ddbRaw = new DynamoDBClient(config);
  const ddb = DynamoDBDocumentClient.from(ddbRaw, { marshallOptions: { removeUndefinedValues: true } });
  const s3 = new S3Client(config);
  const cognito = new CognitoIdentityProviderClient(config);

  await Promise.all([createTable(ddbRaw, TABLE_NAME), s3.send(new CreateBucketCommand({ Bucket: BUCKET_NAME, CreateBucketConfiguration: { LocationConstraint: REGION } }))]);

  const pool = await createPool(cognito, 'readroom-test');
  const jwks = await (await fetch(`${moto.endpoint}/${pool.userPoolId}/.well-known/jwks.json`)).json();
  // The JWKS comes from moto's endpoint; the issuer checked is the one moto writes into tokens.
  const authorizer = jwtAuthorizer(pool, jwks);

  process.env.USER_POOL_ID = pool.userPoolId;
  const createUser = (username: string, roles: Role[], site?: string | null) => createPoolUser(cognito, pool, username, roles, site === undefined ? TEST_SITE : site);
  const users = Object.fromEntries(
    await Promise.all(USER_NAMES.map(async (name) => [name, await createUser(name, ROLE_OF[name])] as const)),
  ) as Record<UserName, TestUser>;

  const other = await createPool(cognito, 'readroom-other-study');
  const foreign = await createPoolUser(cognito, other, 'foreign-reader', ['reader'], TEST_SITE);

  const verify = (token: string | null | undefined) => authorizer.verify(token);

  const call = async (handler: HttpHandler, req: CallRequest): Promise<CallResult> => {
    const token = req.token ?? undefined;
    const claims = await verify(token);
    if (!claims) {
      const body = JSON.stringify({ message: 'Unauthorized' });
      return { status: 401, headers: { 'content-type': 'application/json' }, body, json: JSON.parse(body), invoked: false };
    }
    return toResult(await handler(httpEvent(req, claims, token!)), true);
  };

  const callFleet = async (handler: RestHandler, req: FleetCallRequest): Promise<CallResult> => toResult(await handler(fleetEvent({ ...req, sourceIp: req.sourceIp ?? FLEET_ENI_IP })), true);

  let writes = 0;
  documentClient().middlewareStack.add(
    (next, context) => async (args) => {
      const out = await next(args);
      if (/^(Put|Update|Delete|TransactWrite|BatchWrite)/.test(String(context.commandName))) writes++;
      return out;
    },
    { step: 'initialize', name: 'readroomWriteCounter', override: true },
  );

  const motoKey = motoSigningKey();
  const resign = (token: string, change: (claims: Record<string, unknown>) => void) => {
    const [header, payload] = token.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    change(claims);
    const body = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
    return `${body}.${createSign('RSA-SHA256').update(body).sign(motoKey).toString('base64url')}`;
  };

  const snapshotTable = async () => {
    const items: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await ddb.send(new ScanCommand({ TableName: TABLE_NAME, ConsistentRead: true, ExclusiveStartKey: start }));
      items.push(...(out.Items ?? []));
      start = out.LastEvaluatedKey;
    } while (start);
    const id = (i: Record<string, unknown>) => `${i[TABLE_SCHEMA.partitionKey]}\u0000${i[TABLE_SCHEMA.sortKey]}`;
    return items.sort((a, b) => (id(a) < id(b) ? -1 : id(a) > id(b) ? 1 : 0));
  };

  const writeBatch = async (requests: BatchWriteRequest[]) => {
    for (let i = 0; i < requests.length; i += 25) {
      const out = await ddb.send(new BatchWriteCommand({ RequestItems: { [TABLE_NAME]: requests.slice(i, i + 25) } }));
      const left = out.UnprocessedItems?.[TABLE_NAME]?.length ?? 0;
      if (left > 0) throw new Error(`writeBatch: ${left} of ${Math.min(25, requests.length - i)} writes left unprocessed`);
    }
  };

  const clearTable = async () => {
    const items = await snapshotTable();
    await writeBatch(items.map((it) => ({ DeleteRequest: { Key: { [TABLE_SCHEMA.partitionKey]: it[TABLE_SCHEMA.partitionKey], [TABLE_SCHEMA.sortKey]: it[TABLE_SCHEMA.sortKey] } } })));
  };

  return {
    region: REGION,
    endpoint: proxy.endpoint,
    motoEndpoint: moto.endpoint,
    faults: proxy.faults,
    appStream,
    tableName: TABLE_NAME,
    bucketName: BUCKET_NAME,
    fleetName: FLEET_NAME,
    stackName: APPSTREAM_STACK_NAME,
    pool,
    users,
    ddb,
    store: readingStore(ddb, TABLE_NAME),
    s3,
    cognito,
    readingConfig,
    call,
    callFleet,
    verify,
    createUser,
    directoryReaders: (specs) => directoryReaders(cognito, pool, specs),
    clearDirectory: async () => {
      let token: string | undefined;
      const members: string[] = [];
      do {
        const out = await cognito.send(new ListUsersInGroupCommand({ UserPoolId: pool.userPoolId, GroupName: 'reader', NextToken: token }));
        members.push(...(out.Users ?? []).map((u) => u.Username!));
        token = out.NextToken;
      } while (token);
      for (const Username of members) await cognito.send(new AdminRemoveUserFromGroupCommand({ UserPoolId: pool.userPoolId, Username, GroupName: 'reader' }));
    },
    createReaders: async (n, prefix = 'reader-x') => {
      const out: TestUser[] = [];
      // Ten at a time: moto is single-process; this keeps it responsive.
      for (let i = 0; i < n; i += 10) {
        out.push(...(await Promise.all(Array.from({ length: Math.min(10, n - i) }, (_, j) => createUser(`${prefix}-${i + j}`, ['reader'])))));
      }
      return out;
    },
    tokenReaders: (n, prefix = 'token-reader') =>
      Array.from({ length: n }, (_, i) => {
        const username = `${prefix}-${i}`;
        const sub = randomUUID();
        const email = `${username}@example.org`;
        const token = resign(users.reader.token, (c) => Object.assign(c, { sub, 'cognito:username': username, email }));
        return { username, sub, email, roles: ['reader'], token, accessToken: resign(users.reader.accessToken, (c) => Object.assign(c, { sub, username })) };
      }),
    expiredToken: (token = users.reader.token) =>
      resign(token, (c) => {
        const now = Math.floor(Date.now() / 1000);
        c.iat = now - 7200;
        c.auth_time = now - 7200;
        c.exp = now - 3600;
      }),
    foreignToken: () => foreign.token,
    resign,
    tamper: (token = users.reader.token) => {
      const [h, p, s] = token.split('.');
      const sig = Buffer.from(s, 'base64url');
      sig[sig.length >> 1] ^= 0x01;
      return `${h}.${p}.${sig.toString('base64url')}`;
    },
    writes: () => writes,
    snapshotTable,
    clearTable,
    writeBatch,
    putObject: async (key, body) => {
      await s3.send(new PutObjectCommand({ Bucket: BUCKET_NAME, Key: key, Body: body }));
    },
    s3Event: (key, o = {}) => s3Event(REGION, o.bucket ?? BUCKET_NAME, key, o.sequencer ?? nextSequencer(), o.size ?? 0),
    objectCreatedEvent: (key, o = {}) => objectCreatedEvent(REGION, o.bucket ?? BUCKET_NAME, key, o.sequencer ?? nextSequencer(), o.size ?? 0),
    stop: async () => {
      ddbRaw.destroy();
      s3.destroy();
      cognito.destroy();
      await appStream.close();
      await proxy.close();
      await moto.stop();
    },
  };
}

// ---------------------------------------------------------------------------------------------

interface Pool {
  userPoolId: string;
  clientId: string;
  issuer: string;
}

async function createPool(cognito: CognitoIdentityProviderClient, name: string): Promise<Pool> {
  const pool = await cognito.send(
    new CreateUserPoolCommand({
      PoolName: name,
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
      MfaConfiguration: 'OFF',
      // As ReaderDirectory declares it: the reader's site, for the same-site rule.
      Schema: [{ Name: 'site', AttributeDataType: 'String', Mutable: true }],
    }),
  );
  const userPoolId = pool.UserPool!.Id!;
  const client = await cognito.send(
    new CreateUserPoolClientCommand({
      UserPoolId: userPoolId,
      ClientName: 'portal',
      ExplicitAuthFlows: ['ALLOW_ADMIN_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
      // Real Cognito puts readable attributes (email) in the ID token; moto only those listed here.
      ReadAttributes: ['email', 'email_verified'],
    }),
  );
  await Promise.all(ROLES.map((GroupName) => cognito.send(new CreateGroupCommand({ UserPoolId: userPoolId, GroupName }))));
  return { userPoolId, clientId: client.UserPoolClient!.ClientId!, issuer: `https://cognito-idp.${REGION}.amazonaws.com/${userPoolId}` };
}

async function directoryReaders(cognito: CognitoIdentityProviderClient, pool: Pool, specs: ReadonlyArray<[string, string | null]>): Promise<Record<string, string>> {
  const subs: Record<string, string> = {};
  for (const [Username, site] of specs) {
    const siteAttr = site === null ? [] : [{ Name: 'custom:site', Value: site }];
    try {
      await cognito.send(new AdminCreateUserCommand({ UserPoolId: pool.userPoolId, Username, MessageAction: 'SUPPRESS', UserAttributes: [{ Name: 'email', Value: `${Username}@example.org` }, ...siteAttr] }));
    } catch (e) {
      if ((e as Error).name !== 'UsernameExistsException') throw e;
      if (site === null) await cognito.send(new AdminDeleteUserAttributesCommand({ UserPoolId: pool.userPoolId, Username, UserAttributeNames: ['custom:site'] }));
      else await cognito.send(new AdminUpdateUserAttributesCommand({ UserPoolId: pool.userPoolId, Username, UserAttributes: siteAttr }));
    }
    await cognito.send(new AdminAddUserToGroupCommand({ UserPoolId: pool.userPoolId, Username, GroupName: 'reader' }));
    const user = await cognito.send(new AdminGetUserCommand({ UserPoolId: pool.userPoolId, Username }));
    subs[Username] = user.UserAttributes!.find((a) => a.Name === 'sub')!.Value!;
  }
  return subs;
}

async function createPoolUser(cognito: CognitoIdentityProviderClient, pool: Pool, username: string, roles: Role[], site: string | null): Promise<TestUser> {
  const email = `${username}@example.org`;
  const created = await cognito.send(
    new AdminCreateUserCommand({
      UserPoolId: pool.userPoolId,
      Username: username,
      MessageAction: 'SUPPRESS',
      UserAttributes: [
        { Name: 'email', Value: email },
        { Name: 'email_verified', Value: 'true' },
        ...(site !== null ? [{ Name: 'custom:site', Value: site }] : []),
      ],
    }),
  );
  await cognito.send(new AdminSetUserPasswordCommand({ UserPoolId: pool.userPoolId, Username: username, Password: PASSWORD, Permanent: true }));
  for (const GroupName of roles) await cognito.send(new AdminAddUserToGroupCommand({ UserPoolId: pool.userPoolId, Username: username, GroupName }));
  const auth = await cognito.send(
    new AdminInitiateAuthCommand({
      UserPoolId: pool.userPoolId,
      ClientId: pool.clientId,
      AuthFlow: 'ADMIN_USER_PASSWORD_AUTH',
      AuthParameters: { USERNAME: username, PASSWORD },
    }),
  );
  const sub = created.User!.Attributes!.find((a) => a.Name === 'sub')!.Value!;
  return { username, sub, email, roles, token: auth.AuthenticationResult!.IdToken!, accessToken: auth.AuthenticationResult!.AccessToken! };
}

function toResult(raw: unknown, invoked: boolean): CallResult {
  const r = (raw ?? {}) as { statusCode?: number; headers?: Record<string, string | number | boolean>; body?: string };
  let json: unknown;
  try {
    json = r.body ? JSON.parse(r.body) : undefined;
  } catch {
    json = undefined;
  }
  return { status: r.statusCode ?? 200, headers: r.headers ?? {}, body: r.body, json, invoked };
}
