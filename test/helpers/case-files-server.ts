/**
 * A stand-in for the case-files route and the scans bucket, for the viewer's browser tests that
 * need to expire, refuse or delay files on demand (the local room's fleet API, local/fleet-api.ts,
 * serves the real route): one node:http server that
 * - serves the built viewer under /viewer/,
 * - answers `GET /fleet/case-files?sessionId=…` with the documented shape (`ref` or `caseId`,
 *   `reader`, `expiresAt`, `files: [{ exam, eye, url }]`), plus `key` and `bytes`, which the real
 *   route no longer sends (issue 9, item 4), so a test can check the viewer drops them anyway,
 * - serves each file at a URL that carries the case id and key (as an adjudication session's real
 *   URLs do; a read session's point at opaque copies), so a test can check the viewer never shows
 *   them, and that stops working at its expiry with S3's 403.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serveViewer } from '../../viewer/serve';

export interface FakeFile {
  key: string;
  exam: string;
  eye?: 'OD' | 'OS';
  body: Buffer;
}

export interface FakeSession {
  /** A read session has a ref; an adjudication session a caseId and no ref. */
  ref?: string;
  caseId: string;
  reader?: string;
  files: FakeFile[];
}

export interface CaseFilesServer {
  /** The origin; the viewer is at `${base}/viewer/`. */
  base: string;
  viewerUrl(hash: Record<string, string>): string;
  /** Case-files answers given, per session id. */
  answers(sessionId: string): number;
  /** File fetches: [key, status]. */
  fileRequests: Array<[string, number]>;
  /** Seconds until URLs (and `expiresAt`) issued from now on expire. */
  urlSeconds: number;
  /** Makes every URL issued so far stop working (as if they had expired). */
  expireIssuedUrls(): void;
  /** The next fetch of this key is refused as expired, whatever its URL (an URL that died in flight). */
  refuseNextFetch(key: string): void;
  /**
   * Holds fetches of this key (a slow download) until `release()`; `arrived` resolves when the
   * first one has come in (and was found valid), so a test knows the viewer is waiting on it.
   */
  holdFile(key: string): { arrived: Promise<void>; release(): void };
  /** The next case-files answers for any session fail with this status (then it resets). */
  failNext(status: number, times?: number): void;
  close(): Promise<void>;
}

export async function startCaseFilesServer(viewerDir: string, sessions: Record<string, FakeSession>): Promise<CaseFilesServer> {
  const tokens = new Map<string, { file: FakeFile; expires: number }>();
  const answered = new Map<string, number>();
  const fileRequests: Array<[string, number]> = [];
  let fail: { status: number; times: number } | undefined;
  const refuse = new Set<string>();
  const holds = new Map<string, { arrive(): void; released: Promise<void> }>();
  let base = '';

  const server = createServer((req, res) => {
    void (async () => {
      if (await serveViewer(viewerDir, '/viewer', req, res)) return;
      const url = new URL(req.url ?? '/', base);
      if (url.pathname === '/fleet/case-files') {
        const sessionId = url.searchParams.get('sessionId');
        if (fail && fail.times > 0) {
          fail.times--;
          res.writeHead(fail.status, { 'Content-Type': 'application/json' }).end(JSON.stringify({ error: { code: 'internal', message: 'boom' } }));
          return;
        }
        if (!sessionId || !/^[A-Za-z0-9_-]{4,64}$/.test(sessionId)) {
          res.writeHead(400, { 'Content-Type': 'application/json' }).end(JSON.stringify({ error: { code: 'bad_request', message: 'sessionId: required' } }));
          return;
        }
        const s = sessions[sessionId];
        if (!s) {
          res.writeHead(403, { 'Content-Type': 'application/json' }).end(JSON.stringify({ error: { code: 'forbidden', message: 'not your session' } }));
          return;
        }
        answered.set(sessionId, (answered.get(sessionId) ?? 0) + 1);
        const expires = Date.now() + api.urlSeconds * 1000;
        const files = s.files.map((file) => {
          const token = randomBytes(12).toString('hex');
          tokens.set(token, { file, expires });
          const eye = file.eye ? { eye: file.eye } : {};
          return { key: file.key, exam: file.exam, ...eye, bytes: file.body.length, url: `${base}/scans/cases/${s.caseId}/${file.key}?X-Amz-Expires=${api.urlSeconds}&X-Amz-Signature=${token}` };
        });
        const label = s.ref ? { ref: s.ref } : { caseId: s.caseId };
        res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' }).end(JSON.stringify({ ...label, reader: s.reader, expiresAt: new Date(expires).toISOString(), files }));
        return;
      }
      if (url.pathname.startsWith('/scans/')) {
        const grant = tokens.get(url.searchParams.get('X-Amz-Signature') ?? '');
        const key = url.pathname.split('/').slice(4).join('/');
        if (!grant || grant.expires <= Date.now() || grant.file.key !== key || refuse.delete(key)) {
          fileRequests.push([key, 403]);
          res.writeHead(403, { 'Content-Type': 'application/xml' }).end('<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>');
          return;
        }
        const hold = holds.get(key);
        if (hold) {
          hold.arrive();
          await hold.released;
        }
        fileRequests.push([key, 200]);
        res.writeHead(200, { 'Content-Type': 'application/octet-stream' }).end(grant.file.body);
        return;
      }
      res.writeHead(404).end();
    })().catch((e: unknown) => {
      if (!res.headersSent) res.writeHead(500).end(String(e));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const api: CaseFilesServer = {
    base,
    viewerUrl: (hash) => `${base}/viewer/#${new URLSearchParams(hash).toString()}`,
    answers: (id) => answered.get(id) ?? 0,
    fileRequests,
    urlSeconds: 300,
    expireIssuedUrls: () => tokens.forEach((g) => (g.expires = 0)),
    refuseNextFetch: (key) => void refuse.add(key),
    holdFile: (key) => {
      let arrive = () => {};
      let release = () => {};
      const arrived = new Promise<void>((r) => (arrive = r));
      const released = new Promise<void>((r) => (release = r));
      holds.set(key, { arrive, released });
      return { arrived, release };
    },
    failNext: (status, times = 1) => (fail = { status, times }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return api;
}
