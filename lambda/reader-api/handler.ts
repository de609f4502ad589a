/**
 * Reader API (HTTP API, Cognito JWT authorizer): parses the event, calls the core, shapes the
 * response. Routes and status codes: ./README.md.
 */
import { requireRole, type Principal } from '../runtime/auth';
import { expectNoBody, header, json, parseBody, pathParam, principalOf, router, type HttpEvent } from '../runtime/http';
import { replayHeaders } from '../runtime/idempotency';
import { parseLimit } from '../store/page';
import { readerApiDeps } from './adapters';
import { claimNext, getMe, getQueue, getRead, getStudy, openSession, putRead } from './core';

/** A read's ETag: its version (what `If-Match` sends back). */
export const etag = (version: number) => `"${version}"`;

/** Who may call reader routes is decided before anything about the request is looked at (the cores check again). */
function reader(e: HttpEvent): Principal {
  const p = principalOf(e);
  requireRole(p, 'reader');
  return p;
}

export const handler = router({
  'GET /me': async (e) => json(200, await getMe(readerApiDeps(), principalOf(e))),
  'GET /study': async (e) => json(200, getStudy(readerApiDeps(), principalOf(e))),
  'GET /queue': async (e) => {
    const p = reader(e);
    const q = e.queryStringParameters ?? {};
    return json(200, await getQueue(readerApiDeps(), p, { limit: parseLimit(q.limit, 20, 100), cursor: q.cursor, status: q.status }));
  },
  'POST /queue/next': async (e) => {
    const p = reader(e);
    expectNoBody(e);
    return json(200, await claimNext(readerApiDeps(), p));
  },
  // Readers name their assignments by ref (they never see case ids): `{ref}` in every path below.
  'POST /assignments/{ref}/session': async (e) => {
    const p = reader(e);
    const ref = pathParam(e, 'ref');
    expectNoBody(e);
    return json(201, await openSession(readerApiDeps(), p, ref));
  },
  'GET /assignments/{ref}/read': async (e) => {
    const p = reader(e);
    const read = await getRead(readerApiDeps(), p, pathParam(e, 'ref'));
    return json(200, read, { etag: etag(read.version) });
  },
  'PUT /assignments/{ref}/read': async (e) => {
    const p = reader(e);
    const saved = await putRead(readerApiDeps(), p, {
      ref: pathParam(e, 'ref'),
      body: parseBody(e),
      ifMatch: header(e, 'if-match'),
      idempotencyKey: header(e, 'idempotency-key'),
    });
    const { read, created } = saved.result;
    return json(created ? 201 : 200, read, { etag: etag(read.version), ...replayHeaders(saved) });
  },
});
