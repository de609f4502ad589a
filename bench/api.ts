/**
 * API benchmarks against the emulator (moto behind the harness's one-request-at-a-time proxy, and
 * ReadRoom's AppStream stand-in). Handlers are called directly with prepared API Gateway events:
 * token verification (API Gateway's job) is left out.
 *
 * - `routes`: warm p50/p99 of every route, next to the raw SDK calls that route made. The calls are
 *   recorded by a middleware on the handlers' own clients while the handler runs, then the same
 *   commands with the same inputs are sent by fresh low-level clients (calls that were in flight
 *   together are replayed together). Writes are replayed verbatim, so a conditional write may fail
 *   its condition on replay (counted): it still costs moto one request. URLs the handler presigned
 *   are presigned again (signing is CPU work the route cannot skip).
 * - `burst`: 100 readers calling `POST /queue/next` at once, next to one reader alone.
 */
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent, APIGatewayProxyEventV2WithJWTAuthorizer } from 'aws-lambda';
import * as appstreamSdk from '@aws-sdk/client-appstream';
import * as cognitoSdk from '@aws-sdk/client-cognito-identity-provider';
import * as ddbSdk from '@aws-sdk/client-dynamodb';
import * as s3Sdk from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { appStreamClient } from '../lambda/runtime/clients/appstream';
import { cognitoClient } from '../lambda/runtime/clients/cognito';
import { documentClient } from '../lambda/runtime/clients/dynamodb';
import { s3Client } from '../lambda/runtime/clients/s3';
import type { Role } from '../lambda/runtime/auth';
import { FLEET_ENI_IP, startHarness, type Harness } from '../test/helpers/api-harness';
import { awsClientConfig } from '../test/helpers/moto';
import { grade } from '../test/helpers/grades';
import { assign, seedCase } from '../test/helpers/reading-fixtures';
import { seedReadCase } from '../test/helpers/reading-seed';
import { jobInsertEvent } from '../test/helpers/export-worker';

// ---------------------------------------------------------------------------------------------
// Small helpers shared by the API suites.

export const quantile = (xs: readonly number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)] ?? NaN;
};
export const median = (xs: readonly number[]) => quantile(xs, 0.5);
export const ms = (x: number) => (x < 10 ? x.toFixed(2) : x.toFixed(1));
export async function timed<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t = performance.now();
  const out = await fn();
  return [performance.now() - t, out];
}

/** Handlers log one JSON line per write; keep the cost (they still stringify) but not the noise. */
export async function quietly<T>(fn: () => Promise<T>): Promise<T> {
  const log = console.log;
  console.log = () => undefined;
  try {
    return await fn();
  } finally {
    console.log = log;
  }
}

export interface Who {
  sub: string;
  roles: Role[];
}
export const person = (role: Role): Who => ({ sub: randomUUID(), roles: [role] });

interface Req {
  pathParameters?: Record<string, string>;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body?: unknown;
}

/** An HTTP API event as API Gateway delivers it after its JWT authorizer accepted the token. */
export function httpEvent(routeKey: string, who: Who, req: Req = {}): APIGatewayProxyEventV2WithJWTAuthorizer {
  const [method, route] = routeKey.split(' ');
  const path = route.replace(/\{(\w+)\}/g, (_, n: string) => req.pathParameters?.[n] ?? '');
  const body = req.body === undefined ? undefined : JSON.stringify(req.body);
  // Every benchmark person has a site (without one, claims and adjudication are refused).
  const claims = { sub: who.sub, 'cognito:groups': `[${who.roles.join(' ')}]`, email: `${who.sub.slice(0, 8)}@example.org`, 'custom:site': 'BENCH', token_use: 'id' };
  return {
    version: '2.0',
    routeKey,
    rawPath: path,
    rawQueryString: new URLSearchParams(req.query ?? {}).toString(),
    headers: { host: 'api.readroom.test', ...(body ? { 'content-type': 'application/json' } : {}), ...req.headers },
    queryStringParameters: req.query,
    pathParameters: req.pathParameters,
    body,
    isBase64Encoded: false,
    requestContext: {
      accountId: '123456789012',
      apiId: 'bench',
      authorizer: { principalId: '', integrationLatency: 0, jwt: { claims, scopes: [] } },
      domainName: 'api.readroom.test',
      domainPrefix: 'api',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '203.0.113.10', userAgent: 'readroom-bench' },
      requestId: randomUUID(),
      routeKey,
      stage: '$default',
      time: new Date().toUTCString(),
      timeEpoch: Date.now(),
    },
  } as APIGatewayProxyEventV2WithJWTAuthorizer;
}

/** The parts of the private REST API event `GET /fleet/case-files` reads. */
export const fleetEvent = (sessionId: string) =>
  ({ queryStringParameters: { sessionId }, requestContext: { requestId: randomUUID(), identity: { sourceIp: FLEET_ENI_IP } } }) as unknown as APIGatewayProxyEvent;

export const statusOf = (r: unknown) => (r as { statusCode?: number }).statusCode ?? 200;
export const bodyOf = (r: unknown) => JSON.parse((r as { body?: string }).body ?? 'null');

// ---------------------------------------------------------------------------------------------
// Recording the SDK calls a handler makes, and replaying them with raw clients.

type Service = 'ddb' | 's3' | 'appstream' | 'cognito';
interface Recorded {
  service: Service;
  name: string;
  input: unknown;
  /** An S3 URL the handler presigned: signing work on the CPU, no request. */
  presign?: boolean;
}
/** Calls grouped by overlap: the calls of one group were in flight together. */
type Recording = Recorded[][];

let recording: Recording | undefined;
let inFlight = 0;
/** S3 commands seen at `initialize`, by their context; the ones that never reach `deserialize` were presigned. */
const started = new WeakMap<object, Recorded>();

function installRecorder(): void {
  const add = (service: Service, stack: { add: (...a: any[]) => void }) =>
    stack.add(
      (next: (a: any) => Promise<any>, context: { commandName?: string }) => async (args: { input: unknown }) => {
        if (!recording) return next(args);
        started.delete(context);
        if (inFlight === 0) recording.push([]);
        recording.at(-1)!.push({ service, name: String(context.commandName), input: args.input });
        inFlight++;
        try {
          return await next(args);
        } finally {
          inFlight--;
        }
      },
      // At `deserialize`: the input is the low-level one (the document client marshalled it), and
      // presigning (which stops at `finalizeRequest`, sending nothing) is not counted as a call.
      { step: 'deserialize', name: 'benchRecorder', override: true },
    );
  add('ddb', documentClient().middlewareStack);
  add('s3', s3Client().middlewareStack);
  add('appstream', appStreamClient().middlewareStack);
  add('cognito', cognitoClient().middlewareStack);
  // Presigning is an SDK operation the route must do too (getSignedUrl clones this stack, so it sees
  // this middleware): record it here and replay it with getSignedUrl on the raw client.
  s3Client().middlewareStack.add(
    (next: (a: any) => Promise<any>, context: { commandName?: string }) => async (args: { input: unknown }) => {
      if (!recording) return next(args);
      const call: Recorded = { service: 's3', name: String(context.commandName), input: args.input, presign: true };
      started.set(context, call);
      const out = await next(args);
      if (started.has(context)) recording.push([call]);
      return out;
    },
    { step: 'initialize', name: 'benchPresignRecorder', override: true },
  );
}

async function recorded<T>(fn: () => Promise<T>): Promise<[T, Recording]> {
  recording = [];
  try {
    return [await fn(), recording];
  } finally {
    recording = undefined;
  }
}

interface RawClients {
  send(service: Service, name: string, input: unknown, presign?: boolean): Promise<unknown>;
  destroy(): void;
}

function rawClients(h: Harness): RawClients {
  const config = awsClientConfig(h.endpoint);
  const clients = {
    ddb: new ddbSdk.DynamoDBClient(config),
    s3: new s3Sdk.S3Client(config),
    appstream: new appstreamSdk.AppStreamClient({ ...config, endpoint: h.appStream.endpoint }),
    cognito: new cognitoSdk.CognitoIdentityProviderClient(config),
  };
  const modules: Record<Service, Record<string, any>> = { ddb: ddbSdk, s3: s3Sdk, appstream: appstreamSdk, cognito: cognitoSdk };
  return {
    send: (service, name, input, presign) =>
      presign
        ? getSignedUrl(clients.s3, new modules.s3[name](input), { expiresIn: 300 })
        : (clients[service] as { send: (c: unknown) => Promise<unknown> }).send(new modules[service][name](input)),
    destroy: () => Object.values(clients).forEach((c) => c.destroy()),
  };
}

/** Replays a recording; the number of calls that failed (a condition, usually). */
async function replay(raw: RawClients, rec: Recording): Promise<number> {
  let failed = 0;
  for (const group of rec) {
    await Promise.all(group.map((c) => raw.send(c.service, c.name, c.input, c.presign).catch(() => failed++)));
  }
  return failed;
}

// ---------------------------------------------------------------------------------------------
// routes

interface RouteBench {
  route: string;
  /** The request of iteration i (state-changing routes need a fresh case or reader each time). */
  call: (i: number) => Promise<unknown>;
  okStatus: number[];
  iterations?: number;
}

export interface RouteRow {
  route: string;
  n: number;
  calls: number;
  handlerP50: number;
  handlerP99: number;
  rawP50: number;
  rawP99: number;
  ratio: number;
  replayFailures: number;
  bad: number;
}

const WARMUP = 3;
/**
 * moto copies its whole state for every TransactWriteItems (to roll back), so a transaction costs
 * O(table) and seeding transactionally is quadratic: keep the table small, and run the routes that
 * use up a case or a task `WRITE_ITERATIONS` times.
 */
const WRITE_ITERATIONS = 50;
const READER_CASES = 90;
const ADJ_CASES = WRITE_ITERATIONS + WARMUP + 1;

export async function benchRoutes(iterations = Number(process.env.BENCH_ITERATIONS ?? 100), log: (l: string) => void = console.log): Promise<RouteRow[]> {
  const h = await startHarness();
  const raw = rawClients(h);
  try {
    const t0 = performance.now();
    const reader = await import('../lambda/reader-api/handler');
    const adjudication = await import('../lambda/adjudication-api/handler');
    const coordinator = await import('../lambda/coordinator-api/handler');
    const caseFiles = await import('../lambda/case-files/handler');
    const exportWorker = await import('../lambda/export-worker/handler');
    installRecorder();
    const r = (routeKey: string, who: Who, req?: Req) => quietly(() => reader.handler(httpEvent(routeKey, who, req)));

    // A reader with one assigned case (R1), its files in the bucket and an ACTIVE streaming session.
    // Reader routes address the assignment by its ref (`ref`), never by the case id.
    const me = person('reader');
    const files = ['fundus/OD.jpg', 'fundus/OS.jpg', 'va.json'];
    await seedCase(h, 'R1');
    for (const f of files) await h.putObject(`cases/R1/${f}`, 'x');
    const ref = await assign(h, 'R1', { sub: me.sub, username: 'bench-reader' });
    const session = bodyOf(await r('POST /assignments/{ref}/session', me, { pathParameters: { ref } }));
    await fetch(session.streamingUrl);
    const sessionId = h.appStream.urls().at(-1)!.SessionContext!;
    log(`  session ready after ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    // Discordant cases with an open adjudication task, one per PUT /adjudications iteration.
    for (let i = 0; i < ADJ_CASES; i++) {
      await seedReadCase(h, `A${String(i).padStart(4, '0')}`, [
        { readerId: `bench-reader-x${i % 7}`, answers: grade({ OD: { icdrLevel: 'mild_npdr' } }) },
        { readerId: `bench-reader-y${i % 5}`, answers: grade({ OD: { icdrLevel: 'severe_npdr' } }) },
      ]);
    }
    log(`  adjudication tasks ready after ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    // Open cases for "claim next" (each iteration a new reader) and for bulk assignment.
    for (let i = 0; i < READER_CASES; i++) await seedCase(h, `N${String(i).padStart(4, '0')}`);
    log(`  open cases ready after ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    log(`  seeded ${1 + READER_CASES + ADJ_CASES} cases in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    // Bulk assignment draws readers (and their sites) from the directory's reader group.
    await h.directoryReaders(Array.from({ length: 20 }, (_, i) => [`bench-directory-${i}`, 'BENCH'] as [string, string]));

    const adjudicator = person('adjudicator');
    const coord = person('coordinator');
    const a = (routeKey: string, req?: Req) => quietly(() => adjudication.handler(httpEvent(routeKey, adjudicator, req)));
    const c = (routeKey: string, req?: Req) => quietly(() => coordinator.handler(httpEvent(routeKey, coord, req)));
    let version = 0;
    const draft = { answers: grade(), submit: false };
    // POST /exports queues; the worker (started by the table's stream in AWS) writes the files.
    const queueExport = async () => bodyOf(await c('POST /exports', { body: { formats: ['csv'] } })).exportId as string;
    const runWorker = async (id: string) => {
      const { results } = await quietly(async () => exportWorker.handler(await jobInsertEvent(h, id)));
      return { statusCode: results[0]?.result === 'complete' ? 200 : 500 };
    };
    const exportId = await queueExport();
    await runWorker(exportId);
    const today = new Date().toISOString().slice(0, 10);
    let nextOpen = 0;

    const benches: RouteBench[] = [
      { route: 'GET /me', call: () => r('GET /me', me), okStatus: [200] },
      { route: 'GET /queue', call: () => r('GET /queue', me, { query: { limit: '20' } }), okStatus: [200] },
      // Every iteration a reader with nothing open, so every call really claims a case.
      { route: 'POST /queue/next', call: () => r('POST /queue/next', person('reader')), okStatus: [200], iterations: Math.min(iterations, WRITE_ITERATIONS) },
      { route: 'POST /assignments/{ref}/session', call: () => r('POST /assignments/{ref}/session', me, { pathParameters: { ref } }), okStatus: [201] },
      { route: 'GET /assignments/{ref}/read', call: () => r('GET /assignments/{ref}/read', me, { pathParameters: { ref } }), okStatus: [200] },
      {
        route: 'PUT /assignments/{ref}/read (draft)',
        call: async () => {
          const res = await r('PUT /assignments/{ref}/read', me, { pathParameters: { ref }, headers: { 'if-match': `"${version}"` }, body: draft });
          version = bodyOf(res).version ?? version;
          return res;
        },
        okStatus: [200, 201],
      },
      { route: 'GET /fleet/case-files', call: () => quietly(() => caseFiles.handler(fleetEvent(sessionId))), okStatus: [200] },
      { route: 'GET /adjudications', call: () => a('GET /adjudications', { query: { limit: '20' } }), okStatus: [200] },
      { route: 'GET /adjudications/{caseId}', call: () => a('GET /adjudications/{caseId}', { pathParameters: { caseId: `A${String(ADJ_CASES - 1).padStart(4, '0')}` } }), okStatus: [200] },
      {
        route: 'PUT /adjudications/{caseId}',
        call: (i) =>
          a('PUT /adjudications/{caseId}', {
            pathParameters: { caseId: `A${String(i).padStart(4, '0')}` },
            headers: { 'idempotency-key': `bench-adj-${i}-${randomUUID()}` },
            body: { picks: { eyes: { OD: { icdrLevel: 'A' } } }, reasonCode: 'read_a_correct' },
          }),
        okStatus: [200],
        iterations: Math.min(iterations, WRITE_ITERATIONS),
      },
      // One case per call, k readers from the directory (one ListUsersInGroup page) and their profiles.
      {
        route: 'POST /assignments (1 case)',
        call: () => c('POST /assignments', { body: { caseIds: [`N${String(READER_CASES - 1 - nextOpen++).padStart(4, '0')}`], hiddenRepeats: false } }),
        okStatus: [200],
        iterations: Math.min(iterations, WRITE_ITERATIONS),
      },
      { route: 'GET /progress', call: () => c('GET /progress'), okStatus: [200] },
      { route: 'GET /audit', call: () => c('GET /audit', { query: { day: today } }), okStatus: [200] },
      { route: 'POST /exports (queue)', call: () => c('POST /exports', { body: { formats: ['csv'] } }), okStatus: [202] },
      // The job item is read back (as the stream would carry it) outside the handler's clients, so it is not counted.
      { route: `export worker (${1 + READER_CASES + ADJ_CASES} cases, csv)`, call: async () => runWorker(await queueExport()), okStatus: [200], iterations: Math.min(iterations, 5) },
      { route: 'GET /exports/{exportId}', call: () => c('GET /exports/{exportId}', { pathParameters: { exportId } }), okStatus: [200] },
    ];

    const rows: RouteRow[] = [];
    for (const b of benches) {
      const n = b.iterations ?? iterations;
      const handler: number[] = [];
      const base: number[] = [];
      let calls = 0;
      let replayFailures = 0;
      let bad = 0;
      for (let i = 0; i < n + WARMUP; i++) {
        const [tHandler, [res, rec]] = await timed(() => recorded(() => b.call(i)));
        const [tRaw, failed] = await timed(() => replay(raw, rec));
        if (i < WARMUP) continue;
        if (!b.okStatus.includes(statusOf(res))) bad++;
        handler.push(tHandler);
        base.push(tRaw);
        calls += rec.flat().length;
        replayFailures += failed;
      }
      const row: RouteRow = {
        route: b.route,
        n,
        calls: calls / n,
        handlerP50: median(handler),
        handlerP99: quantile(handler, 0.99),
        rawP50: median(base),
        rawP99: quantile(base, 0.99),
        ratio: median(handler) / median(base),
        replayFailures,
        bad,
      };
      rows.push(row);
      log(
        `  ${row.route.padEnd(40)} handler p50 ${ms(row.handlerP50)} ms p99 ${ms(row.handlerP99)} ms | raw SDK (${row.calls.toFixed(1)} calls) p50 ${ms(row.rawP50)} ms p99 ${ms(row.rawP99)} ms | ratio ${row.ratio.toFixed(2)}x${row.ratio <= 1.25 ? '' : ' (over 1.25)'}${row.bad ? ` | ${row.bad} unexpected statuses` : ''}${row.replayFailures ? ` | ${row.replayFailures} replayed calls failed` : ''}`,
      );
    }
    return rows;
  } finally {
    raw.destroy();
    await h.stop();
  }
}

// ---------------------------------------------------------------------------------------------
// burst

export interface BurstResult {
  single: { n: number; p50: number; p99: number };
  burst: { n: number; ok: number; statuses: Record<string, number>; errors: number; p50: number; p99: number; max: number; wallMs: number };
  casesOverK: number;
}

export async function benchBurst(readers = Number(process.env.BENCH_BURST ?? 100), log: (l: string) => void = console.log): Promise<BurstResult> {
  const h = await startHarness();
  try {
    const reader = await import('../lambda/reader-api/handler');
    const k = h.readingConfig.assignment.readsPerCase;
    const singles = 30;
    // Enough open cases for every claim (k slots each), plus spare.
    const cases = Math.ceil((singles + WARMUP + readers) / k) + 20;
    for (let i = 0; i < cases; i++) await seedCase(h, `B${String(i).padStart(4, '0')}`);
    const claim = () => quietly(() => reader.handler(httpEvent('POST /queue/next', person('reader'))));

    const single: number[] = [];
    for (let i = 0; i < singles + WARMUP; i++) {
      const [t] = await timed(claim);
      if (i >= WARMUP) single.push(t);
    }

    const statuses: Record<string, number> = {};
    let errors = 0;
    const started = performance.now();
    const times = await Promise.all(
      Array.from({ length: readers }, async () => {
        const t = performance.now();
        try {
          const res = await claim();
          statuses[statusOf(res)] = (statuses[statusOf(res)] ?? 0) + 1;
          if (statusOf(res) >= 500) errors++;
        } catch {
          errors++;
          statuses.thrown = (statuses.thrown ?? 0) + 1;
        }
        return performance.now() - t;
      }),
    );
    const wallMs = performance.now() - started;
    const items = await h.snapshotTable();
    const casesOverK = items.filter((i) => i.sk === 'META' && String(i.pk).startsWith('CASE#') && Number(i.assignedCount) > k).length;
    const result: BurstResult = {
      single: { n: single.length, p50: median(single), p99: quantile(single, 0.99) },
      burst: { n: readers, ok: statuses['200'] ?? 0, statuses, errors, p50: median(times), p99: quantile(times, 0.99), max: Math.max(...times), wallMs },
      casesOverK,
    };
    log(`  one reader alone (${singles} claims in a row): p50 ${ms(result.single.p50)} ms, p99 ${ms(result.single.p99)} ms`);
    log(
      `  ${readers} readers at once: statuses ${JSON.stringify(statuses)}, errors (5xx or thrown) ${errors}, p50 ${ms(result.burst.p50)} ms, p99 ${ms(result.burst.p99)} ms, max ${ms(result.burst.max)} ms, all done in ${ms(wallMs)} ms`,
    );
    log(`  p99 of the burst / p50 alone: ${(result.burst.p99 / result.single.p50).toFixed(1)}x; cases assigned past k: ${casesOverK}`);
    log('  note: moto is reached through a proxy that forwards one request at a time, so the burst is served serially by the emulator');
    return result;
  } finally {
    await h.stop();
  }
}
