/**
 * The local reading room: the whole study on one machine, no AWS account, no Docker.
 *
 *   const room = await startRoom({ port: 8480 });   // npm start (./start.ts) or a test
 *   room.portalUrl … room.users …
 *   await room.stop();
 *
 * What runs (all on loopback, in this process except moto):
 *  - moto (DynamoDB, S3, Cognito with TOTP codes checked) behind the serial proxy the handlers use
 *    (./serial-proxy.ts); the user pool is in us-east-1 (portal/auth/README.md: moto answers the
 *    browser's unsigned Cognito calls from there, and GlobalSignOut searches only there);
 *  - the AppStream stand-in (./appstream/standin.ts), whose streaming URLs open the viewer for the
 *    session they were issued for (viewer/launch.ts `standInViewerPage`);
 *  - the HTTP API (./gateway.ts) in front of the real handlers, routes from the one table of
 *    functions (lib/constructs/reading-api/functions.ts);
 *  - the private fleet API with the viewer (./fleet-api.ts);
 *  - the registry on new manifests (./manifests.ts) and the export worker on each queued job (the
 *    table stream's INSERT record, built from the job item as POST /exports wrote it);
 *  - the portal (portal/serve.ts) with its config.json, on `port`.
 * Then the demo study is seeded (./seed/study.ts) unless `seed: false`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { CreateBucketCommand, PutBucketCorsCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { ReadingConfigSchema } from '../domain/reading-config';
import { READING_FUNCTIONS } from '../lib/constructs/reading-api/functions';
import { handler as adjudicationHandler } from '../lambda/adjudication-api/handler';
import { handler as caseFilesHandler } from '../lambda/case-files/handler';
import { handler as coordinatorHandler } from '../lambda/coordinator-api/handler';
import { handler as exportWorker } from '../lambda/export-worker/handler';
import { handler as readerHandler } from '../lambda/reader-api/handler';
import { handler as registerCase } from '../lambda/register-case/handler';
import { keys } from '../lambda/store/keys';
import { buildPortal } from '../portal/build';
import { servePortal } from '../portal/serve';
import type { PortalConfig } from '../portal/src/config';
import { buildViewer } from '../viewer/build';
import { standInViewerPage } from '../viewer/launch';
import { startAppStreamStandIn, type AppStreamStandIn } from './appstream/standin';
import { createTable, streamInsertEvent, useHandlerEnvironment } from './aws-events';
import { startFleetApi, type FleetApi } from './fleet-api';
import { closeServer, jwtAuthorizer, listen, startGateway, type Gateway, type HttpHandler } from './gateway';
import { watchManifests, type ManifestWatcher } from './manifests';
import { startMoto, type MotoServer } from './moto';
import { createDemoPool, type DemoPool, type DemoUser } from './seed/users';
import { demoCasePlan, seedStudy, type SeedSummary } from './seed/study';
import { startSerialProxy, type SerialProxy } from './serial-proxy';

export const DEFAULT_PORT = 8480;
export const REGION = 'us-east-1';
export const STUDY_ID = 'demo';
export const STUDY_DISPLAY_NAME = 'ReadRoom demo study';
export const TABLE_NAME = 'readroom-demo-reading';
export const BUCKET_NAME = 'readroom-demo-scans';
export const FLEET_NAME = 'readroom-demo-fleet';
export const APPSTREAM_STACK_NAME = 'readroom-demo';
/** The address the stand-in reports for every session's ENI: the viewer calls the fleet API from this machine. */
export const LOCAL_ENI_IP = '127.0.0.1';

/** The handler module of each function folder that serves HTTP routes. */
const HTTP_HANDLERS: Record<string, HttpHandler> = {
  'reader-api': readerHandler as HttpHandler,
  'adjudication-api': adjudicationHandler as HttpHandler,
  'coordinator-api': coordinatorHandler as HttpHandler,
};

/** Route key → handler, from the one table of functions: a route added there is served here too. */
export function localRoutes(): Record<string, HttpHandler> {
  const routes: Record<string, HttpHandler> = {};
  for (const spec of Object.values(READING_FUNCTIONS)) {
    const fnRoutes: readonly string[] = ('routes' in spec ? spec.routes : undefined) ?? [];
    if (fnRoutes.length === 0) continue;
    const handler = HTTP_HANDLERS[spec.folder];
    if (!handler) throw new Error(`local room: no handler registered for lambda/${spec.folder} (add it to HTTP_HANDLERS in local/room.ts)`);
    for (const r of fnRoutes) routes[r] = handler;
  }
  return routes;
}

/** A start-up failure with a message meant for the person who ran `npm start`. */
export class RoomError extends Error {}

export interface RoomOptions {
  /** The portal's port (the one URL people open). @default DEFAULT_PORT; 0: a free port. */
  port?: number;
  /** Seed the demo study. @default true */
  seed?: boolean;
  /**
   * Cases per site in the seed (./seed/study.ts `demoCasePlan`; the demo's 25 by default, at least
   * `MIN_CASES_PER_SITE`). room.test.ts seeds the minimum: the same users and reading state, fewer
   * cases waiting unassigned, so less to upload and register.
   */
  casesPerSite?: number;
  /**
   * Where moto comes from, given the settings the room needs (Cognito's TOTP checking): moto's own
   * server, started with them, by default (local/moto.ts `startMoto`). Test-only: the browser test
   * gives its jest worker's moto (test/helpers/moto.ts `testMoto`: the suite's moto, same answers,
   * less CPU, already running). The room stops it with the rest.
   */
  moto?: (settings: Record<string, string>) => Promise<MotoServer>;
  /** Progress lines. @default none */
  log?: (line: string) => void;
}

export interface Room {
  portalUrl: string;
  apiUrl: string;
  fleetUrl: string;
  /** moto itself (Cognito for the browser, /moto-api). */
  motoEndpoint: string;
  /** The AWS endpoint the handlers use (moto through the serial proxy). */
  awsEndpoint: string;
  region: string;
  bucketName: string;
  tableName: string;
  pool: DemoPool;
  users: DemoUser[];
  seeded?: SeedSummary;
  appStream: AppStreamStandIn;
  portalConfig: PortalConfig;
  /** Clients on the room's AWS endpoint, for arranging and checking. */
  cognito: CognitoIdentityProviderClient;
  s3: S3Client;
  ddb: DynamoDBClient;
  /** Registers manifests uploaded so far (the watcher also does it every second). */
  registerManifests(): Promise<number>;
  /** Resolves when every export started so far has finished. */
  exportsSettled(): Promise<void>;
  /** Milliseconds from the call to ready, and of its parts. */
  timings: Record<string, number>;
  stop(): Promise<void>;
}

export async function startRoom(opts: RoomOptions = {}): Promise<Room> {
  const t0 = Date.now();
  const timings: Record<string, number> = {};
  const mark = (name: string, since = t0) => (timings[name] = Date.now() - since);
  const log = opts.log ?? (() => undefined);
  const stops: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const stop of stops.splice(0).reverse()) await stop().catch(() => undefined);
  };

  // A seed size the reading state cannot fit is said before anything starts.
  if (opts.seed !== false) demoCasePlan(opts.casesPerSite);
  try {
    // The portal's port first: a port in use is said at once, before anything else starts.
    const port = opts.port ?? DEFAULT_PORT;
    let portal: { config?: PortalConfig; frameOrigins: string[]; dir?: string } = { frameOrigins: [] };
    const portalServer: Server = createServer((req, res) => {
      if (!portal.config || !portal.dir) {
        res.writeHead(503, { 'Content-Type': 'text/plain; charset=utf-8', 'Retry-After': '2' }).end('The reading room is starting; reload in a few seconds.');
        return;
      }
      servePortal(portal.dir, '', { config: portal.config, frameOrigins: portal.frameOrigins }, req, res)
        .then((handled) => {
          if (!handled) res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
        })
        .catch(() => res.writeHead(500).end());
    });
    try {
      await listen(portalServer, port, '127.0.0.1');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') {
        throw new RoomError(`Port ${port} is already in use (another \`npm start\`?). Stop that, or start on another port: npm start -- --port <number>`);
      }
      throw e;
    }
    stops.push(() => closeServer(portalServer));
    const portalUrl = `http://127.0.0.1:${(portalServer.address() as AddressInfo).port}`;

    // Builds and the emulator in parallel: they are the slow parts.
    const dist = mkdtempSync(join(tmpdir(), 'readroom-room-'));
    stops.push(async () => rmSync(dist, { recursive: true, force: true }));
    const tBuild = Date.now();
    const builds = Promise.all([buildPortal(join(dist, 'portal')), buildViewer(join(dist, 'viewer'))]).then((r) => (mark('build', tBuild), r));
    const tMoto = Date.now();
    // Python's start-up alone can take tens of seconds on a machine busy with other work.
    const getMoto = opts.moto ?? ((settings) => startMoto(undefined, settings, 90_000));
    const moto: MotoServer = await getMoto({ MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP: 'true' });
    stops.push(() => moto.stop());
    mark('moto', tMoto);
    log(`moto on ${moto.endpoint}`);
    const proxy: SerialProxy = await startSerialProxy(moto.endpoint, { record: false });
    stops.push(() => proxy.close());

    const clientConfig = { endpoint: proxy.endpoint, region: REGION, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' }, forcePathStyle: true };
    const cognito = new CognitoIdentityProviderClient(clientConfig);
    const s3 = new S3Client(clientConfig);
    const ddb = new DynamoDBClient(clientConfig);
    stops.push(async () => [cognito, s3, ddb].forEach((c) => c.destroy()));

    const [pool] = await Promise.all([
      createDemoPool(cognito, REGION),
      createTable(ddb, TABLE_NAME),
      s3.send(new CreateBucketCommand({ Bucket: BUCKET_NAME })).then(() =>
        // The viewer (the fleet API's origin) fetches the presigned URLs from the browser.
        s3.send(new PutBucketCorsCommand({ Bucket: BUCKET_NAME, CORSConfiguration: { CORSRules: [{ AllowedMethods: ['GET'], AllowedOrigins: ['*'], MaxAgeSeconds: 300 }] } })),
      ),
    ]);
    const jwks = await (await fetch(`${moto.endpoint}/${pool.userPoolId}/.well-known/jwks.json`)).json();

    const [portalBuild, viewerBuild] = await builds;
    const fleet: FleetApi = await startFleetApi({ viewerDir: viewerBuild.outdir, handler: caseFilesHandler as never, frameAncestors: [portalUrl] });
    stops.push(() => fleet.close());
    const appStream = await startAppStreamStandIn({
      fleets: [{ name: FLEET_NAME, stackName: APPSTREAM_STACK_NAME, eniPrivateIp: LOCAL_ENI_IP }],
      viewer: standInViewerPage(fleet.viewerBase, fleet.url),
    });
    stops.push(() => appStream.close());

    // The functions' environment (each env.ts reads its part); one process serves them all.
    useHandlerEnvironment({
      region: REGION,
      awsEndpoint: proxy.endpoint,
      appStreamEndpoint: appStream.endpoint,
      studyId: STUDY_ID,
      tableName: TABLE_NAME,
      bucketName: BUCKET_NAME,
      fleetName: FLEET_NAME,
      appStreamStackName: APPSTREAM_STACK_NAME,
      streamingUrlValiditySeconds: 60,
      sessionMaxSeconds: 14_400,
      readingConfig: ReadingConfigSchema.parse({}),
      studyDisplayName: STUDY_DISPLAY_NAME,
    });
    process.env.USER_POOL_ID = pool.userPoolId;

    const exports = new Set<Promise<unknown>>();
    const runExport = async (exportId: string) => {
      const out = await ddb.send(new GetItemCommand({ TableName: TABLE_NAME, Key: Object.fromEntries(Object.entries(keys.exportJob(exportId)).map(([k, v]) => [k, { S: v }])), ConsistentRead: true }));
      if (!out.Item) throw new Error(`no export job ${exportId}`);
      await exportWorker(streamInsertEvent(REGION, out.Item as Parameters<typeof streamInsertEvent>[1], `insert-${exportId}`));
    };
    const gateway: Gateway = await startGateway({
      routes: localRoutes(),
      authorizer: jwtAuthorizer(pool, jwks),
      allowedOrigins: [portalUrl],
      onResult: (routeKey, result) => {
        // The table stream's INSERT of the job starts the worker (Lambda's event source mapping).
        if (routeKey !== 'POST /exports' || result.status !== 202) return;
        const exportId = (JSON.parse(result.body) as { exportId?: string }).exportId;
        if (!exportId) return;
        const run = runExport(exportId).catch((e: unknown) => console.error(`[export-worker] ${exportId}: ${(e as Error).message}`));
        exports.add(run);
        void run.finally(() => exports.delete(run));
      },
    });
    stops.push(async () => {
      await Promise.allSettled([...exports]);
      await gateway.close();
    });

    const watcher: ManifestWatcher = watchManifests({ s3, region: REGION, bucket: BUCKET_NAME, handler: registerCase });
    stops.push(() => watcher.stop());

    const portalConfig: PortalConfig = { apiUrl: gateway.url, region: REGION, userPoolId: pool.userPoolId, clientId: pool.clientId, cognitoEndpoint: moto.endpoint, embedShim: true };
    portal = { config: portalConfig, frameOrigins: [appStream.endpoint, fleet.url], dir: portalBuild.outdir };
    mark('services');

    let seeded: SeedSummary | undefined;
    let users: DemoUser[] = [];
    if (opts.seed !== false) {
      const tSeed = Date.now();
      seeded = await seedStudy({ cognito, s3, pool, bucket: BUCKET_NAME, apiUrl: gateway.url, cognitoEndpoint: moto.endpoint, region: REGION, registerManifests: async () => (await watcher.scan(), watcher.registered()), log, casesPerSite: opts.casesPerSite });
      users = seeded.users;
      mark('seed', tSeed);
    }
    mark('ready');

    return {
      portalUrl,
      apiUrl: gateway.url,
      fleetUrl: fleet.url,
      motoEndpoint: moto.endpoint,
      awsEndpoint: proxy.endpoint,
      region: REGION,
      bucketName: BUCKET_NAME,
      tableName: TABLE_NAME,
      pool,
      users,
      seeded,
      appStream,
      portalConfig,
      cognito,
      s3,
      ddb,
      registerManifests: () => watcher.scan(),
      exportsSettled: async () => {
        while (exports.size) await Promise.allSettled([...exports]);
      },
      timings,
      stop: stopAll,
    };
  } catch (e) {
    await stopAll();
    throw e;
  }
}
