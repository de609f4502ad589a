/**
 * Serves a built viewer folder (see build.ts) over node:http: the three files, with the security
 * headers a deployment should also send, and nothing else (no listing, no path outside the folder).
 * Used by the browser tests and by the local reading room.
 */
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { VIEWER_CSP } from './csp';

const TYPES: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'viewer.js': 'text/javascript; charset=utf-8',
  'viewer.css': 'text/css; charset=utf-8',
};

/**
 * Handles `GET <prefix>/` and `<prefix>/{index.html,viewer.js,viewer.css}`; returns false for any
 * other path so the caller can route it. `frameAncestors`: origins besides the viewer's own that
 * may frame it (the local room's portal, which embeds the session as the AppStream embed does).
 */
export async function serveViewer(dir: string, prefix: string, req: IncomingMessage, res: ServerResponse, opts: { frameAncestors?: readonly string[] } = {}): Promise<boolean> {
  const path = new URL(req.url ?? '/', 'http://x').pathname;
  if (!path.startsWith(`${prefix}/`)) return false;
  const name = path.slice(prefix.length + 1) || 'index.html';
  const type = TYPES[name];
  if (!type) return false;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { Allow: 'GET, HEAD' }).end();
    return true;
  }
  const body = await readFile(join(dir, name));
  res.writeHead(200, {
    'Content-Type': type,
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Content-Security-Policy': `${VIEWER_CSP}; frame-ancestors ${["'self'", ...(opts.frameAncestors ?? []).map((o) => new URL(o).origin)].join(' ')}`,
  });
  res.end(req.method === 'HEAD' ? undefined : body);
  return true;
}
