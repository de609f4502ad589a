/**
 * The local room's stand-in for the private fleet API (a private REST API in the study VPC,
 * AWS_IAM auth by the fleet role) and for the streaming instance's viewer: one node:http server on
 * loopback that serves the built viewer under `/viewer/` and `GET /fleet/case-files` through the
 * real handler (lambda/case-files/handler.ts) with a REST API v1 event.
 *
 * The caller is bound the way the real API binds it: `requestContext.identity.sourceIp` is the
 * TCP peer's address (never a header), and forwarding headers are handed on as sent, so the
 * handler's own refusals (`Forwarded`, a spoofed `X-Forwarded-For`) apply. The AppStream stand-in
 * reports 127.0.0.1 as every session's ENI address, so a session id works only from this machine
 * and only while the stand-in lists the session as ACTIVE for its user. What cannot be reproduced:
 * the IAM signature of the instance's credentials and the VPC endpoint policy (a browser cannot
 * sign with the fleet role); loopback-only listening is what keeps other machines out.
 */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serveViewer } from '../viewer/serve';
import { fleetEvent } from './aws-events';
import { closeServer, flatHeaders, listen, socketAddress } from './gateway';

export interface FleetApiOptions {
  viewerDir: string;
  handler: (event: APIGatewayProxyEvent) => Promise<{ statusCode: number; headers?: Record<string, unknown>; body: string }>;
  /** Origins that may frame the viewer (the portal, which embeds the streaming session). */
  frameAncestors: readonly string[];
}

export interface FleetApi {
  url: string;
  /** Where a streaming session opens the viewer. */
  viewerBase: string;
  close(): Promise<void>;
}

export async function startFleetApi(opts: FleetApiOptions): Promise<FleetApi> {
  const server = createServer((req, res) => {
    void (async () => {
      if (await serveViewer(opts.viewerDir, '/viewer', req, res, { frameAncestors: opts.frameAncestors })) return;
      const url = new URL(req.url ?? '/', 'http://fleet');
      if (url.pathname !== '/fleet/case-files' || req.method !== 'GET') {
        // What API Gateway REST APIs answer for a path or method without a resource.
        res.writeHead(403, { 'Content-Type': 'application/json' }).end(JSON.stringify({ message: 'Missing Authentication Token' }));
        return;
      }
      const out = await opts.handler(fleetEvent({ query: Object.fromEntries(url.searchParams), headers: flatHeaders(req), sourceIp: socketAddress(req) }));
      res.writeHead(out.statusCode, Object.fromEntries(Object.entries(out.headers ?? {}).map(([k, v]) => [k, String(v)]))).end(out.body);
    })().catch((e: unknown) => {
      console.error(`[fleet-api] ${(e as Error).message}`);
      if (!res.headersSent) res.writeHead(502, { 'Content-Type': 'application/json' }).end(JSON.stringify({ message: 'Internal server error' }));
    });
  });
  await listen(server, 0, '127.0.0.1');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, viewerBase: `${url}/viewer/`, close: () => closeServer(server) };
}
