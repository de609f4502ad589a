/**
 * Serves a built portal folder (build.ts) and its config.json over node:http, with the headers a
 * deployment should also send (portalCsp as the header, nosniff, no-referrer). Used by the browser
 * tests and by the local reading room. Only the portal's own files, nothing else.
 */
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { portalCsp } from './csp';
import type { PortalConfig } from './src/config';

const TYPES: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'portal.js': 'text/javascript; charset=utf-8',
  'portal.css': 'text/css; charset=utf-8',
};

export interface PortalServeOptions {
  config: PortalConfig;
  /** Frame sources besides AWS's streaming host (the local AppStream stand-in). */
  frameOrigins?: readonly string[];
  /** Extra same-origin files, path → body (e.g. `/vendor/appstream-embed.js` in a test). */
  files?: Record<string, { type: string; body: string | Buffer }>;
}

/**
 * Handles `GET <prefix>/`, `<prefix>/{index.html,portal.js,portal.css,config.json}` and the extra
 * files; returns false for any other path so the caller can route it.
 */
export async function servePortal(dir: string, prefix: string, opts: PortalServeOptions, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  const path = new URL(req.url ?? '/', 'http://x').pathname;
  if (!path.startsWith(`${prefix}/`)) return false;
  const name = path.slice(prefix.length + 1) || 'index.html';
  const extra = opts.files?.[`/${name}`];
  if (!TYPES[name] && name !== 'config.json' && !extra) return false;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { Allow: 'GET, HEAD' }).end();
    return true;
  }
  const headers: Record<string, string> = { 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'no-referrer' };
  let body: string | Buffer;
  if (name === 'config.json') {
    body = JSON.stringify(opts.config);
    headers['Content-Type'] = 'application/json';
  } else if (extra) {
    body = extra.body;
    headers['Content-Type'] = extra.type;
  } else {
    body = await readFile(join(dir, name));
    headers['Content-Type'] = TYPES[name];
    if (name === 'index.html') headers['Content-Security-Policy'] = portalCsp(opts.config, { frameOrigins: opts.frameOrigins });
  }
  res.writeHead(200, headers);
  res.end(req.method === 'HEAD' ? undefined : body);
  return true;
}

export interface PortalServer {
  url: string;
  close(): Promise<void>;
}

/** A loopback server for the portal alone, on a free port. `config` may be set after start (the URL is in it). */
export async function startPortalServer(dir: string, opts: PortalServeOptions | ((url: string) => PortalServeOptions)): Promise<PortalServer> {
  let resolved: PortalServeOptions | undefined = typeof opts === 'function' ? undefined : opts;
  const server = createServer((req, res) => {
    servePortal(dir, '', resolved!, req, res)
      .then((handled) => {
        if (!handled) res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
      })
      .catch(() => res.writeHead(500).end());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  if (typeof opts === 'function') resolved = opts(url);
  return {
    url,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
