/**
 * The local reading room's stand-in for the HTTP API (API Gateway HTTP API with a Cognito JWT
 * authorizer and CORS), in front of the real handlers (lambda/<fn>/handler.ts), on node:http:
 *
 * - a route is matched on `METHOD /path/{param}` as API Gateway does; no match → 404
 *   `{"message":"Not Found"}`;
 * - the bearer token is checked as the JWT authorizer checks it: signature against the pool's JWKS
 *   (as moto serves it), issuer = the pool's issuer URL, audience (`aud` of an ID token,
 *   `client_id` of an access token) = the portal client, `exp`; anything else → 401
 *   `{"message":"Unauthorized"}` and the handler never runs;
 * - the handler gets an HTTP API v2 event (./aws-events.ts `httpEvent`: claims stringified as API
 *   Gateway does, headers lower-cased, the caller's address as `sourceIp`);
 * - CORS as the deployed API declares it (lib/constructs/reading-api/http-api.ts): preflights from
 *   an allowed origin answered with the allowed methods and headers, `etag` exposed; other origins
 *   get no CORS headers;
 * - a handler that throws is a 500 `{"message":"Internal Server Error"}`, as Lambda integration
 *   errors are.
 *
 * Not modelled: throttling, the 30 s integration timeout, payload limits.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2WithJWTAuthorizer } from 'aws-lambda';
import { CognitoJwtVerifier } from 'aws-jwt-verify';
import { httpEvent } from './aws-events';

export type HttpHandler = (event: APIGatewayProxyEventV2WithJWTAuthorizer) => Promise<unknown>;

/** What a handler answered, as the gateway sends it. */
export interface HandlerResult {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** The deployed API's CORS settings (http-api.ts `corsPreflight`). */
export const CORS = {
  allowMethods: ['GET', 'POST', 'PUT'],
  allowHeaders: ['authorization', 'content-type', 'if-match', 'idempotency-key'],
  exposeHeaders: ['etag'],
  maxAgeSeconds: 3600,
} as const;

export interface Authorizer {
  /** The verified claims, or undefined when API Gateway's JWT authorizer would refuse the token. */
  verify(token: string | null | undefined): Promise<Record<string, unknown> | undefined>;
}

/**
 * The JWT authorizer's checks for one pool and app client, with the pool's JWKS given (moto serves
 * it at `<endpoint>/<poolId>/.well-known/jwks.json`). The issuer checked is the one Cognito (and
 * moto) writes into tokens: `https://cognito-idp.<region>.amazonaws.com/<poolId>`.
 */
export function jwtAuthorizer(pool: { userPoolId: string; clientId: string }, jwks: unknown): Authorizer {
  const verifier = CognitoJwtVerifier.create({ userPoolId: pool.userPoolId, clientId: pool.clientId, tokenUse: null });
  verifier.cacheJwks(jwks as Parameters<typeof verifier.cacheJwks>[0]);
  return {
    async verify(token) {
      if (!token) return undefined;
      try {
        const payload = (await verifier.verify(token)) as Record<string, unknown>;
        // API Gateway accepts either token kind when the audience matches; ReadRoom's portal sends ID tokens.
        return payload.token_use === 'id' || payload.token_use === 'access' ? payload : undefined;
      } catch {
        return undefined;
      }
    },
  };
}

export interface GatewayOptions {
  /** Route key → handler. */
  routes: Record<string, HttpHandler>;
  authorizer: Authorizer;
  /** Origins whose browsers may call the API (the portal's). */
  allowedOrigins: readonly string[];
  /** 0 (default): a free port. */
  port?: number;
  host?: string;
  /** Called after each handled request (the room starts the export worker on `POST /exports`). */
  onResult?(routeKey: string, result: HandlerResult): void;
}

export interface Gateway {
  url: string;
  close(): Promise<void>;
}

interface CompiledRoute {
  routeKey: string;
  method: string;
  pattern: RegExp;
  names: string[];
  handler: HttpHandler;
}

function compile(routeKey: string, handler: HttpHandler): CompiledRoute {
  const [method, path] = routeKey.split(' ');
  const names: string[] = [];
  const pattern = new RegExp(
    '^' +
      path
        .split('/')
        .map((seg) => {
          const m = /^\{(\w+)\}$/.exec(seg);
          if (!m) return seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
          names.push(m[1]);
          return '([^/]+)';
        })
        .join('/') +
      '$',
  );
  return { routeKey, method, pattern, names, handler };
}

/** Matches a request to a route as API Gateway does (method and path, path parameters decoded). */
export function matchRoute(routes: readonly CompiledRoute[], method: string, path: string): { route: CompiledRoute; params: Record<string, string> } | undefined {
  for (const route of routes) {
    if (route.method !== method) continue;
    const m = route.pattern.exec(path);
    if (!m) continue;
    const params: Record<string, string> = {};
    route.names.forEach((n, i) => {
      params[n] = decodeURIComponent(m[i + 1]);
    });
    return { route, params };
  }
  return undefined;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Node's headers as API Gateway hands them on: lower-case names, repeated values joined by commas. */
export function flatHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(',') : v;
  return out;
}

/** The caller's address as a network sees it (IPv4-mapped IPv6 written as IPv4). */
export const socketAddress = (req: IncomingMessage) => (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');

export async function startGateway(opts: GatewayOptions): Promise<Gateway> {
  const routes = Object.entries(opts.routes).map(([k, h]) => compile(k, h));
  const allowed = new Set(opts.allowedOrigins);

  const send = (res: ServerResponse, status: number, headers: Record<string, string>, body: string) => {
    res.writeHead(status, headers);
    res.end(body);
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://gateway');
    const method = (req.method ?? 'GET').toUpperCase();
    const origin = req.headers.origin;
    const cors: Record<string, string> = origin && allowed.has(origin) ? { 'access-control-allow-origin': origin, 'access-control-expose-headers': CORS.exposeHeaders.join(','), vary: 'origin' } : {};

    // A CORS preflight: API Gateway answers it itself, before any route or authorizer.
    if (method === 'OPTIONS' && req.headers['access-control-request-method']) {
      if (!cors['access-control-allow-origin']) return send(res, 204, {}, '');
      return send(
        res,
        204,
        {
          'access-control-allow-origin': origin!,
          'access-control-allow-methods': CORS.allowMethods.join(','),
          'access-control-allow-headers': CORS.allowHeaders.join(','),
          'access-control-max-age': String(CORS.maxAgeSeconds),
          vary: 'origin',
        },
        '',
      );
    }

    const matched = matchRoute(routes, method, url.pathname);
    const json = { 'content-type': 'application/json' };
    if (!matched) return send(res, 404, { ...json, ...cors }, JSON.stringify({ message: 'Not Found' }));

    const headers = flatHeaders(req);
    const token = /^Bearer\s+(\S+)$/i.exec(headers.authorization ?? '')?.[1] ?? headers.authorization;
    const claims = await opts.authorizer.verify(token);
    if (!claims) return send(res, 401, { ...json, ...cors, 'www-authenticate': 'Bearer' }, JSON.stringify({ message: 'Unauthorized' }));

    const body = await readBody(req);
    const query = Object.fromEntries(url.searchParams);
    const event = httpEvent(
      {
        routeKey: matched.route.routeKey,
        method,
        path: url.pathname,
        pathParameters: matched.route.names.length ? matched.params : undefined,
        query: Object.keys(query).length ? query : undefined,
        headers,
        body: body.length ? body.toString('utf8') : undefined,
        sourceIp: socketAddress(req),
      },
      claims,
      token!,
    );
    // The raw query string as sent (httpEvent rebuilds it from the parsed values).
    event.rawQueryString = url.search.slice(1);
    let result: HandlerResult;
    try {
      const raw = (await matched.route.handler(event)) as { statusCode?: number; headers?: Record<string, unknown>; body?: string } | undefined;
      result = {
        status: raw?.statusCode ?? 200,
        headers: Object.fromEntries(Object.entries(raw?.headers ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)])),
        body: raw?.body ?? '',
      };
    } catch (e) {
      console.error(`[gateway] ${matched.route.routeKey} threw: ${(e as Error).name}`);
      result = { status: 500, headers: json, body: JSON.stringify({ message: 'Internal Server Error' }) };
    }
    send(res, result.status, { ...result.headers, ...cors, 'apigw-requestid': event.requestContext.requestId ?? randomUUID() }, result.body);
    opts.onResult?.(matched.route.routeKey, result);
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      console.error(`[gateway] ${(e as Error).message}`);
      if (!res.headersSent) send(res, 500, { 'content-type': 'application/json' }, JSON.stringify({ message: 'Internal Server Error' }));
    });
  });
  await listen(server, opts.port ?? 0, opts.host ?? '127.0.0.1');
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => closeServer(server) };
}

/** Listens, or fails with an error whose `code` is the system's (EADDRINUSE for a taken port). */
export function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (e: Error) => reject(e);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}
