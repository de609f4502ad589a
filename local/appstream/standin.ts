/**
 * ReadRoom's local AppStream 2.0 stand-in.
 *
 * moto has no AppStream, so this small node:http server speaks the real AppStream wire protocol
 * (AWS JSON 1.1: `POST /`, `Content-Type: application/x-amz-json-1.1`,
 * `X-Amz-Target: PhotonAdminProxyService.<Op>`) for the calls ReadRoom makes. Because it speaks the
 * protocol rather than being a mock, the real `@aws-sdk/client-appstream` is exercised end to end:
 * serialization, timestamp parsing and the named exception classes.
 *
 * What it checks comes from the service model (botocore `appstream/2016-12-01/service-2.json`, the
 * same model the JS SDK is generated from) and from the API reference; every number below says
 * where it comes from. Where AWS behaviour is not documented the choice is marked "unverified".
 *
 * It also serves the streaming URLs it issues: opening one creates (or reuses) an ACTIVE session and
 * returns an HTML page, the local reading room's stand-in for the streamed viewer.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Checked against node_modules/@aws-sdk/client-appstream (serviceTarget) and botocore metadata.targetPrefix. */
const TARGET_PREFIX = 'PhotonAdminProxyService';
const JSON_11 = 'application/x-amz-json-1.1';
const REGION = 'ap-northeast-2';
const ACCOUNT = '123456789012';

/** Limits. Sources: M = service model (botocore service-2.json / SDK schema), D = API reference / SDK doc text. */
export const LIMITS = {
  /** M: shape StreamingUrlUserId min 2, max 32, pattern `[\w+=,.@-]*` (anchored here: AWS validates the whole value). */
  userIdMin: 2,
  userIdMax: 32,
  userIdPattern: /^[\w+=,.@-]*$/,
  /** D: "Specify a value between 1 and 604800 seconds. The default is 60 seconds." (not in the model's constraints). */
  validityMin: 1,
  validityMax: 604_800,
  validityDefault: 60,
  /**
   * Neither the model nor the docs give a maximum for SessionContext (model: String, min 1). 1000 is
   * ReadRoom's own assumption, kept so that callers don't grow contexts without bound; unverified
   * against AWS and overridable with `sessionContextMax`.
   */
  sessionContextMax: 1000,
  /** D (DescribeSessions.Limit): "The default value is 20 and the maximum value is 50." */
  describeSessionsDefault: 20,
  describeSessionsMax: 50,
  /** M: DescribeSessions UserId shape min 2, max 128; Name shape pattern for StackName/FleetName. */
  describeUserIdMax: 128,
  namePattern: /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,100}$/,
  /** AWS default MaxUserDurationInSeconds (CreateFleet API reference), used for MaxExpirationTime. */
  maxUserDurationSeconds: 57_600,
} as const;

const AUTH_TYPES = ['API', 'SAML', 'USERPOOL', 'AWS_AD'] as const;

export interface StandInFleet {
  name: string;
  /** The stack this fleet is associated with (the stand-in models one association per fleet). */
  stackName: string;
  /** @default 'RUNNING' */
  state?: 'RUNNING' | 'STOPPED';
  /** @default 'stream.standard.medium' */
  instanceType?: string;
  /** Private IP reported for sessions on this fleet. @default '127.0.0.1' */
  eniPrivateIp?: string;
}

/** A session as DescribeSessions reports it, plus the context it was opened with. */
export interface StandInSession {
  Id: string;
  UserId: string;
  StackName: string;
  FleetName: string;
  State: 'ACTIVE';
  ConnectionState: 'CONNECTED';
  StartTime: Date;
  MaxExpirationTime: Date;
  AuthenticationType: 'API';
  NetworkAccessConfiguration: { EniPrivateIpAddress: string; EniId: string };
  InstanceId: string;
  /**
   * Not part of AppStream's Session shape: the `context` query value of the URL that last opened this
   * session. Taken from the URL as opened, not as issued, because real AppStream does not validate it
   * and users can edit it (see the domain notes, appstream.md); ReadRoom must not trust it.
   */
  SessionContext?: string;
  ApplicationId?: string;
}

/** A streaming URL the stand-in issued, with every time it was opened. */
export interface IssuedUrl {
  token: string;
  url: string;
  StackName: string;
  FleetName: string;
  UserId: string;
  ApplicationId?: string;
  SessionContext?: string;
  issuedAt: Date;
  expires: Date;
  opens: Array<{ at: Date; sessionId: string; context?: string }>;
}

export interface AppStreamStandInOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** @default '127.0.0.1' */
  host?: string;
  fleets: StandInFleet[];
  /** HTML for the page a streaming URL opens; default is a minimal page with user, session and context. */
  viewer?: (session: StandInSession) => string;
  /** Clock in epoch milliseconds, so tests can expire URLs without sleeping. @default Date.now */
  now?: () => number;
  /** @default LIMITS.sessionContextMax (1000, ReadRoom's assumption) */
  sessionContextMax?: number;
}

export interface AppStreamStandIn {
  endpoint: string;
  port: number;
  close(): Promise<void>;
  sessions(): StandInSession[];
  urls(): IssuedUrl[];
}

/** An error that goes back to the client in the AWS JSON error shape. */
class ApiError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

type Json = Record<string, unknown>;

export async function startAppStreamStandIn(opts: AppStreamStandInOptions): Promise<AppStreamStandIn> {
  const host = opts.host ?? '127.0.0.1';
  const now = opts.now ?? Date.now;
  const contextMax = opts.sessionContextMax ?? LIMITS.sessionContextMax;
  const fleets = new Map<string, StandInFleet>();
  for (const f of opts.fleets) {
    if (!LIMITS.namePattern.test(f.name) || !LIMITS.namePattern.test(f.stackName)) {
      throw new Error(`AppStream stand-in: invalid fleet or stack name '${f.name}'/'${f.stackName}'`);
    }
    if (fleets.has(f.name)) throw new Error(`AppStream stand-in: fleet '${f.name}' declared twice`);
    fleets.set(f.name, f);
  }
  const stackNames = [...new Set(opts.fleets.map((f) => f.stackName))];
  const createdAt = new Date(now());
  const sessions = new Map<string, StandInSession>(); // by Id
  const urls = new Map<string, IssuedUrl>(); // by token
  let baseUrl = '';

  // ---- AppStream operations -------------------------------------------------------------------

  function createStreamingUrl(input: Json): Json {
    const v = new Violations();
    const stackName = v.str(input, 'StackName', { required: true, min: 1 });
    const fleetName = v.str(input, 'FleetName', { required: true, min: 1 });
    const userId = v.str(input, 'UserId', {
      required: true,
      min: LIMITS.userIdMin,
      max: LIMITS.userIdMax,
      pattern: LIMITS.userIdPattern,
    });
    const applicationId = v.str(input, 'ApplicationId', { min: 1 });
    const sessionContext = v.str(input, 'SessionContext', { min: 1 });
    const validity = integer(input, 'Validity') ?? LIMITS.validityDefault;
    v.throwIfAny();

    // Range checks that are documented but not model constraints come back as the modeled
    // InvalidParameterCombinationException (the exact AWS error type here is unverified).
    if (validity < LIMITS.validityMin || validity > LIMITS.validityMax) {
      throw new ApiError(
        'InvalidParameterCombinationException',
        `Validity must be between ${LIMITS.validityMin} and ${LIMITS.validityMax} seconds, got ${validity}.`,
      );
    }
    if (sessionContext !== undefined && sessionContext.length > contextMax) {
      throw new ApiError(
        'InvalidParameterCombinationException',
        `SessionContext must be at most ${contextMax} characters, got ${sessionContext.length}.`,
      );
    }
    const fleet = associatedFleet(stackName!, fleetName!);
    if ((fleet.state ?? 'RUNNING') !== 'RUNNING') {
      // ResourceNotAvailableException: "exists ... but isn't available" (modeled for this op; exact AWS type unverified).
      throw new ApiError('ResourceNotAvailableException', `The fleet ${fleet.name} is not in RUNNING state.`);
    }

    const issuedAt = now();
    const expiresMs = issuedAt + validity * 1000;
    const token = randomBytes(24).toString('base64url');
    const url =
      `${baseUrl}/streaming/${token}` + (sessionContext !== undefined ? `?context=${encodeURIComponent(sessionContext)}` : '');
    urls.set(token, {
      token,
      url,
      StackName: stackName!,
      FleetName: fleetName!,
      UserId: userId!,
      ApplicationId: applicationId,
      SessionContext: sessionContext,
      issuedAt: new Date(issuedAt),
      expires: new Date(expiresMs),
      opens: [],
    });
    // Timestamps go out as epoch seconds: that is how AWS JSON 1.1 encodes them and what the SDK parses into a Date.
    return { StreamingURL: url, Expires: expiresMs / 1000 };
  }

  function describeSessions(input: Json): Json {
    const v = new Violations();
    const stackName = v.str(input, 'StackName', { required: true, pattern: LIMITS.namePattern });
    const fleetName = v.str(input, 'FleetName', { required: true, pattern: LIMITS.namePattern });
    const userId = v.str(input, 'UserId', { min: 2, max: LIMITS.describeUserIdMax });
    const authType = v.str(input, 'AuthenticationType', { oneOf: AUTH_TYPES });
    const nextToken = v.str(input, 'NextToken', { min: 1 });
    v.str(input, 'InstanceId', { min: 1 });
    const limit = integer(input, 'Limit') ?? LIMITS.describeSessionsDefault;
    v.throwIfAny();
    // The API reference: "If you specify a user ID, you must also specify the authentication type."
    // Enforced strictly so ReadRoom code that would fail against AWS fails here too.
    if (userId !== undefined && authType === undefined) {
      throw new ApiError(
        'InvalidParameterCombinationException',
        'AuthenticationType is required when UserId is specified.',
      );
    }
    if (limit < 1 || limit > LIMITS.describeSessionsMax) {
      throw new ApiError(
        'InvalidParameterCombinationException',
        `Limit must be between 1 and ${LIMITS.describeSessionsMax}, got ${limit}.`,
      );
    }
    // Unknown stack/fleet: an empty list (AWS behaviour unverified; DescribeSessions models no ResourceNotFound).
    const matching = [...sessions.values()].filter(
      (s) =>
        s.StackName === stackName &&
        s.FleetName === fleetName &&
        (userId === undefined || s.UserId === userId) &&
        (authType === undefined || s.AuthenticationType === authType),
    );
    const offset = nextToken === undefined ? 0 : decodeToken(nextToken);
    const page = matching.slice(offset, offset + limit);
    const next = offset + limit < matching.length ? Buffer.from(String(offset + limit)).toString('base64url') : undefined;
    return { Sessions: page.map(sessionToWire), ...(next ? { NextToken: next } : {}) };
  }

  function describeFleets(input: Json): Json {
    const names = stringList(input, 'Names') ?? [...fleets.keys()];
    return {
      Fleets: names.map((name) => {
        const f = fleets.get(name);
        if (!f) throw new ApiError('ResourceNotFoundException', `The fleet ${name} does not exist.`);
        return fleetToWire(f);
      }),
    };
  }

  function describeStacks(input: Json): Json {
    const names = stringList(input, 'Names') ?? stackNames;
    return {
      Stacks: names.map((name) => {
        if (!stackNames.includes(name)) throw new ApiError('ResourceNotFoundException', `The stack ${name} does not exist.`);
        return { Name: name, Arn: arn('stack', name), CreatedTime: createdAt.getTime() / 1000 };
      }),
    };
  }

  function expireSession(input: Json): Json {
    const v = new Violations();
    const id = v.str(input, 'SessionId', { required: true, min: 1 });
    v.throwIfAny();
    // ExpireSession models no errors; an unknown id is accepted silently (AWS behaviour unverified).
    sessions.delete(id!);
    return {};
  }

  const operations: Record<string, (input: Json) => Json> = {
    CreateStreamingURL: createStreamingUrl,
    DescribeSessions: describeSessions,
    DescribeFleets: describeFleets,
    DescribeStacks: describeStacks,
    ExpireSession: expireSession,
  };

  // ---- helpers that need state ----------------------------------------------------------------

  function associatedFleet(stackName: string, fleetName: string): StandInFleet {
    if (!stackNames.includes(stackName)) {
      throw new ApiError('ResourceNotFoundException', `The stack ${stackName} does not exist.`);
    }
    const fleet = fleets.get(fleetName);
    if (!fleet) throw new ApiError('ResourceNotFoundException', `The fleet ${fleetName} does not exist.`);
    if (fleet.stackName !== stackName) {
      // Exact AWS error type unverified; a wrong pairing is a parameter combination problem.
      throw new ApiError(
        'InvalidParameterCombinationException',
        `The fleet ${fleetName} is not associated with the stack ${stackName}.`,
      );
    }
    return fleet;
  }

  function fleetToWire(f: StandInFleet): Json {
    const running = (f.state ?? 'RUNNING') === 'RUNNING';
    const inUse = [...sessions.values()].filter((s) => s.FleetName === f.name).length;
    // The stand-in has unlimited capacity: desired/running grow with the sessions in use.
    const capacity = running ? Math.max(1, inUse) : 0;
    return {
      Name: f.name,
      DisplayName: f.name,
      Arn: arn('fleet', f.name),
      InstanceType: f.instanceType ?? 'stream.standard.medium',
      FleetType: 'ALWAYS_ON',
      State: f.state ?? 'RUNNING',
      ComputeCapacityStatus: { Desired: capacity, Running: capacity, InUse: inUse, Available: capacity - inUse },
      MaxUserDurationInSeconds: LIMITS.maxUserDurationSeconds,
      DisconnectTimeoutInSeconds: 900,
      IdleDisconnectTimeoutInSeconds: 0,
      StreamView: 'APP',
      EnableDefaultInternetAccess: false,
      CreatedTime: createdAt.getTime() / 1000,
    };
  }

  /** GET /streaming/<token>: the streaming page. Opening creates or reuses the user's session. */
  function openStreamingUrl(token: string, context: string | undefined, res: ServerResponse): void {
    const issued = urls.get(token);
    // Reusable until expiry: whether real streaming URLs are single-use is unverified (domain notes, appstream.md).
    if (!issued || now() >= issued.expires.getTime()) {
      sendHtml(res, 403, page('Streaming URL not valid', '<p>This streaming URL is unknown or has expired.</p>'));
      return;
    }
    const fleet = fleets.get(issued.FleetName)!;
    let session = [...sessions.values()].find(
      (s) => s.UserId === issued.UserId && s.StackName === issued.StackName && s.FleetName === issued.FleetName,
    );
    if (!session) {
      const start = now();
      session = {
        Id: randomUUID(),
        UserId: issued.UserId,
        StackName: issued.StackName,
        FleetName: issued.FleetName,
        State: 'ACTIVE',
        ConnectionState: 'CONNECTED',
        StartTime: new Date(start),
        MaxExpirationTime: new Date(start + LIMITS.maxUserDurationSeconds * 1000),
        AuthenticationType: 'API',
        NetworkAccessConfiguration: {
          EniPrivateIpAddress: fleet.eniPrivateIp ?? '127.0.0.1',
          EniId: `eni-${randomBytes(9).toString('hex').slice(0, 17)}`,
        },
        InstanceId: `i-${randomBytes(9).toString('hex').slice(0, 17)}`,
      };
      sessions.set(session.Id, session);
    }
    // The latest opened URL wins, so a reader moving to the next case sees that case's context.
    session.SessionContext = context;
    session.ApplicationId = issued.ApplicationId;
    issued.opens.push({ at: new Date(now()), sessionId: session.Id, context });
    sendHtml(res, 200, opts.viewer ? opts.viewer({ ...session }) : defaultViewer(session));
  }

  // ---- HTTP -----------------------------------------------------------------------------------

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    const streaming = /^\/streaming\/([\w-]+)$/.exec(url.pathname);
    if (req.method === 'GET' && streaming) {
      openStreamingUrl(streaming[1], url.searchParams.get('context') ?? undefined, res);
      return;
    }
    if (req.method !== 'POST' || url.pathname !== '/') {
      sendHtml(res, 404, page('Not found', '<p>Not found.</p>'));
      return;
    }
    const body = await readBody(req);
    try {
      const target = String(req.headers['x-amz-target'] ?? '');
      const [prefix, op] = target.split('.');
      const handler = prefix === TARGET_PREFIX && op ? operations[op] : undefined;
      if (!handler) {
        throw new ApiError(
          'UnknownOperationException',
          `The AppStream stand-in does not support '${target || '(no X-Amz-Target)'}'; ` +
            `supported: ${Object.keys(operations).map((o) => `${TARGET_PREFIX}.${o}`).join(', ')}.`,
        );
      }
      if (!String(req.headers['content-type'] ?? '').startsWith(JSON_11)) {
        throw new ApiError('SerializationException', `Content-Type must be ${JSON_11}.`);
      }
      let input: unknown;
      try {
        input = body.length === 0 ? {} : JSON.parse(body);
      } catch {
        throw new ApiError('SerializationException', 'The request body is not valid JSON.');
      }
      if (typeof input !== 'object' || input === null || Array.isArray(input)) {
        throw new ApiError('SerializationException', 'The request body must be a JSON object.');
      }
      sendJson(res, 200, handler(input as Json));
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      // The AWS JSON error shape: the SDK reads the type from x-amzn-ErrorType or __type.
      sendJson(res, 400, { __type: e.type, message: e.message }, { 'x-amzn-ErrorType': e.type });
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { __type: 'InternalServiceError', message: String(e) });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  baseUrl = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  return {
    endpoint: baseUrl,
    port,
    sessions: () => [...sessions.values()].map((s) => ({ ...s })),
    urls: () => [...urls.values()].map((u) => ({ ...u, opens: [...u.opens] })),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections(); // the SDK keeps connections alive; don't wait for them to idle out
      }),
  };
}

// ---- validation in AWS's own words ------------------------------------------------------------

/**
 * Collects model-constraint violations and reports them the way AWS's request validation does
 * ("1 validation error detected: Value 'x' at 'userId' failed to satisfy constraint: ..."), as a
 * ValidationException. AppStream's SDK does not model ValidationException, so it arrives as a
 * generic AppStreamServiceException whose `name` is 'ValidationException'.
 */
class Violations {
  private readonly found: string[] = [];

  str(
    input: Json,
    field: string,
    rule: { required?: boolean; min?: number; max?: number; pattern?: RegExp; oneOf?: readonly string[] },
  ): string | undefined {
    const value = input[field];
    const at = field[0].toLowerCase() + field.slice(1);
    if (value === undefined || value === null) {
      if (rule.required) this.found.push(`Value null at '${at}' failed to satisfy constraint: Member must not be null`);
      return undefined;
    }
    if (typeof value !== 'string') {
      throw new ApiError('SerializationException', `${field} must be a string, got ${typeof value}.`);
    }
    const shown = `Value '${value}' at '${at}' failed to satisfy constraint: Member must`;
    if (rule.min !== undefined && value.length < rule.min) {
      this.found.push(`${shown} have length greater than or equal to ${rule.min}`);
    }
    if (rule.max !== undefined && value.length > rule.max) {
      this.found.push(`${shown} have length less than or equal to ${rule.max}`);
    }
    if (rule.pattern && !rule.pattern.test(value)) {
      this.found.push(`${shown} satisfy regular expression pattern: ${rule.pattern.source}`);
    }
    if (rule.oneOf && !rule.oneOf.includes(value)) {
      this.found.push(`${shown} satisfy enum value set: [${rule.oneOf.join(', ')}]`);
    }
    return value;
  }

  throwIfAny(): void {
    const n = this.found.length;
    if (n === 0) return;
    throw new ApiError('ValidationException', `${n} validation error${n > 1 ? 's' : ''} detected: ${this.found.join('; ')}`);
  }
}

/**
 * Long/Integer members. A non-integer is rejected (SerializationException) rather than truncated:
 * whether AWS truncates 1.5 to 1 is unverified, and rejecting surfaces the caller's bug.
 */
function integer(input: Json, field: string): number | undefined {
  const value = input[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new ApiError('SerializationException', `${field} must be an integer, got ${JSON.stringify(value)}.`);
  }
  return value;
}

function stringList(input: Json, field: string): string[] | undefined {
  const value = input[field];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || !value.every((x) => typeof x === 'string')) {
    throw new ApiError('SerializationException', `${field} must be a list of strings.`);
  }
  return value;
}

function decodeToken(token: string): number {
  const n = Number(Buffer.from(token, 'base64url').toString());
  if (!Number.isInteger(n) || n < 0) throw new ApiError('InvalidParameterCombinationException', 'NextToken is not valid.');
  return n;
}

// ---- wire and page helpers --------------------------------------------------------------------

function arn(kind: 'fleet' | 'stack', name: string): string {
  return `arn:aws:appstream:${REGION}:${ACCOUNT}:${kind}/${name}`;
}

/** The AppStream Session shape (SessionContext/ApplicationId are stand-in extras and stay off the wire). */
function sessionToWire(s: StandInSession): Json {
  return {
    Id: s.Id,
    UserId: s.UserId,
    StackName: s.StackName,
    FleetName: s.FleetName,
    State: s.State,
    ConnectionState: s.ConnectionState,
    StartTime: s.StartTime.getTime() / 1000,
    MaxExpirationTime: s.MaxExpirationTime.getTime() / 1000,
    AuthenticationType: s.AuthenticationType,
    NetworkAccessConfiguration: s.NetworkAccessConfiguration,
    InstanceId: s.InstanceId,
  };
}

function sendJson(res: ServerResponse, status: number, body: Json, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': JSON_11, 'x-amzn-RequestId': randomUUID(), ...headers });
  res.end(JSON.stringify(body));
}

function sendHtml(res: ServerResponse, status: number, html: string): void {
  res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(html);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function page(title: string, body: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body>${body}</body></html>`;
}

function defaultViewer(s: StandInSession): string {
  return page(
    'AppStream stand-in session',
    `<h1>AppStream stand-in</h1><dl>` +
      `<dt>User</dt><dd data-testid="user-id">${escapeHtml(s.UserId)}</dd>` +
      `<dt>Session</dt><dd data-testid="session-id">${escapeHtml(s.Id)}</dd>` +
      `<dt>Context</dt><dd data-testid="session-context">${escapeHtml(s.SessionContext ?? '')}</dd>` +
      `</dl>`,
  );
}
