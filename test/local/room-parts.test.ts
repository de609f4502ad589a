/**
 * The local reading room's parts, each against what it stands in for: the gateway (route matching,
 * the authorizer's 401, CORS, the v2 event the handler gets), the fleet API (the caller's address
 * from the socket, forwarding headers handed on), the manifest watcher (one registration per new
 * or replaced manifest, retried after a failure), the routes (every route of the function table),
 * and `npm start`'s options (a bad --port, a port in use). The whole room runs in
 * test/browser/room.test.ts.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEvent, APIGatewayProxyEventV2WithJWTAuthorizer, S3ObjectCreatedNotificationEvent } from 'aws-lambda';
import { READING_FUNCTIONS } from '../../lib/constructs/reading-api/functions';
import { startFleetApi } from '../../local/fleet-api';
import { startGateway, type Gateway } from '../../local/gateway';
import { watchManifests } from '../../local/manifests';
import { localRoutes, RoomError, startRoom } from '../../local/room';
import { parsePort } from '../../local/start';
import { startHarness, type Harness } from '../helpers/api-harness';

const PORTAL = 'http://127.0.0.1:8480';
const CLAIMS = { sub: 'sub-1', 'cognito:groups': ['reader', 'adjudicator'], 'custom:site': 'SNUH', token_use: 'id', exp: 1_900_000_000 };

describe('gateway', () => {
  let gateway: Gateway;
  const events: APIGatewayProxyEventV2WithJWTAuthorizer[] = [];
  beforeAll(async () => {
    gateway = await startGateway({
      routes: {
        'GET /assignments/{ref}/read': async (e) => {
          events.push(e);
          return { statusCode: 200, headers: { etag: '"3"', 'content-type': 'application/json' }, body: '{"ok":true}' };
        },
        'PUT /boom': async () => {
          throw new Error('handler crashed');
        },
      },
      authorizer: { verify: async (token) => (token === 'good' ? CLAIMS : undefined) },
      allowedOrigins: [PORTAL],
    });
  });
  afterAll(() => gateway.close());

  it('hands the handler an HTTP API v2 event: route key, decoded path parameters, query, claims stringified', async () => {
    const res = await fetch(`${gateway.url}/assignments/ab%20c/read?x=1&y=two`, { headers: { authorization: 'Bearer good', 'x-custom': 'v', origin: PORTAL } });
    expect(res.status).toBe(200);
    expect(res.headers.get('etag')).toBe('"3"');
    expect(res.headers.get('access-control-allow-origin')).toBe(PORTAL);
    expect(res.headers.get('access-control-expose-headers')).toBe('etag');
    const e = events.at(-1)!;
    expect(e.version).toBe('2.0');
    expect(e.routeKey).toBe('GET /assignments/{ref}/read');
    expect(e.rawPath).toBe('/assignments/ab%20c/read');
    expect(e.pathParameters).toEqual({ ref: 'ab c' });
    expect(e.queryStringParameters).toEqual({ x: '1', y: 'two' });
    expect(e.rawQueryString).toBe('x=1&y=two');
    expect(e.headers['x-custom']).toBe('v');
    expect(e.requestContext.http.sourceIp).toBe('127.0.0.1');
    expect(e.requestContext.authorizer.jwt.claims).toEqual({ sub: 'sub-1', 'cognito:groups': '[reader adjudicator]', 'custom:site': 'SNUH', token_use: 'id', exp: '1900000000' });
  });

  it('answers 401 {"message":"Unauthorized"} without running the handler for a missing or refused token', async () => {
    const before = events.length;
    for (const headers of [{}, { authorization: 'Bearer bad' }] as Array<Record<string, string>>) {
      const res = await fetch(`${gateway.url}/assignments/abc/read`, { headers });
      expect(res.status).toBe(401);
      await expect(res.json()).resolves.toEqual({ message: 'Unauthorized' });
    }
    expect(events.length).toBe(before);
  });

  it('answers 404 {"message":"Not Found"} for an unknown route or method, before the token', async () => {
    for (const [method, path] of [['GET', '/nowhere'], ['DELETE', '/assignments/abc/read']]) {
      const res = await fetch(`${gateway.url}${path}`, { method });
      expect(res.status).toBe(404);
      await expect(res.json()).resolves.toEqual({ message: 'Not Found' });
    }
  });

  it("answers CORS preflights for the portal's origin only", async () => {
    const ok = await fetch(`${gateway.url}/assignments/abc/read`, { method: 'OPTIONS', headers: { origin: PORTAL, 'access-control-request-method': 'PUT', 'access-control-request-headers': 'authorization,if-match' } });
    expect(ok.status).toBe(204);
    expect(ok.headers.get('access-control-allow-origin')).toBe(PORTAL);
    expect(ok.headers.get('access-control-allow-methods')).toBe('GET,POST,PUT');
    expect(ok.headers.get('access-control-allow-headers')).toBe('authorization,content-type,if-match,idempotency-key');
    const other = await fetch(`${gateway.url}/assignments/abc/read`, { method: 'OPTIONS', headers: { origin: 'http://evil.test', 'access-control-request-method': 'PUT' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('turns a handler that throws into a 500 without details', async () => {
    const res = await fetch(`${gateway.url}/boom`, { method: 'PUT', headers: { authorization: 'Bearer good' } });
    expect(res.status).toBe(500);
    await expect(res.json()).resolves.toEqual({ message: 'Internal Server Error' });
  });
});

test('the room serves every route of the function table with its function', () => {
  const routes = localRoutes();
  const declared = Object.values(READING_FUNCTIONS).flatMap((f): string[] => ('routes' in f && f.routes ? [...f.routes] : []));
  expect(Object.keys(routes).sort()).toEqual([...declared].sort());
  expect(routes['GET /queue']).toBe(routes['GET /me']);
  expect(routes['GET /adjudications']).not.toBe(routes['GET /me']);
});

test("the fleet API takes the caller's address from the socket and hands forwarding headers on", async () => {
  const seen: APIGatewayProxyEvent[] = [];
  const fleet = await startFleetApi({
    viewerDir: __dirname,
    frameAncestors: [PORTAL],
    handler: async (e) => {
      seen.push(e);
      return { statusCode: 200, body: '{}' };
    },
  });
  try {
    await fetch(`${fleet.url}/fleet/case-files?sessionId=abc`, { headers: { 'X-Forwarded-For': '10.0.12.34' } });
    expect(seen[0].requestContext.identity.sourceIp).toBe('127.0.0.1');
    expect(seen[0].queryStringParameters).toEqual({ sessionId: 'abc' });
    expect(seen[0].headers['x-forwarded-for']).toBe('10.0.12.34');
    const other = await fetch(`${fleet.url}/fleet/other`);
    expect(other.status).toBe(403);
    expect(seen).toHaveLength(1);
  } finally {
    await fleet.close();
  }
});

describe('manifest watcher', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.stop());

  it('registers each new or replaced manifest once, and retries one whose registration failed', async () => {
    const events: S3ObjectCreatedNotificationEvent[] = [];
    let fail = true;
    const watcher = watchManifests({
      s3: h.s3,
      region: h.region,
      bucket: h.bucketName,
      intervalMs: 3_600_000,
      handler: async (e) => {
        events.push(e);
        if (e.detail.object.key === 'cases/B/manifest.json' && fail) {
          fail = false;
          throw new Error('throttled');
        }
      },
    });
    try {
      await h.putObject('cases/A/manifest.json', '{"a":1}');
      await h.putObject('cases/A/fundus/OD.png', 'x');
      await h.putObject('cases/B/manifest.json', '{}');
      await watcher.scan();
      expect(events.map((e) => e.detail.object.key)).toEqual(['cases/A/manifest.json', 'cases/B/manifest.json']);
      expect(watcher.registered()).toBe(1); // B failed: not counted until its retry succeeds
      expect(events[0]).toMatchObject({ source: 'aws.s3', 'detail-type': 'Object Created', detail: { bucket: { name: h.bucketName } } });
      await watcher.scan();
      expect(events.map((e) => e.detail.object.key)).toEqual(['cases/A/manifest.json', 'cases/B/manifest.json', 'cases/B/manifest.json']);
      expect(watcher.registered()).toBe(2);
      await watcher.scan();
      expect(events).toHaveLength(3);
      await h.putObject('cases/A/manifest.json', '{"a":2}');
      await watcher.scan();
      expect(events.at(-1)!.detail.object.key).toBe('cases/A/manifest.json');
      expect(events.at(-1)!.detail.object.sequencer > events[0].detail.object.sequencer).toBe(true);
    } finally {
      await watcher.stop();
    }
  });
});

describe('npm start options', () => {
  it('reads --port in both spellings and refuses anything but a port number, naming the option', () => {
    expect(parsePort([])).toBe(8480);
    expect(parsePort(['--port', '9000'])).toBe(9000);
    expect(parsePort(['--port=9001'])).toBe(9001);
    for (const bad of [['--port'], ['--port', 'abc'], ['--port', '70000'], ['--port=0']]) expect(() => parsePort(bad)).toThrow(/^--port: must be a port number/);
  });

  it('says a port in use is in use, naming --port, before starting anything', async () => {
    const busy: Server = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    const port = (busy.address() as AddressInfo).port;
    try {
      const started = Date.now();
      const failure = await startRoom({ port, seed: false }).catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(RoomError);
      expect((failure as Error).message).toBe(`Port ${port} is already in use (another \`npm start\`?). Stop that, or start on another port: npm start -- --port <number>`);
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      await new Promise((r) => busy.close(r));
    }
  });

  it('refuses a seed too small for the reading state before starting anything', async () => {
    const started = Date.now();
    await expect(startRoom({ port: 0, casesPerSite: 7 })).rejects.toThrow(/^seed: casesPerSite must be a whole number ≥ 8/);
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
