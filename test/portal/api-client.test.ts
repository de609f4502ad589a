/**
 * The portal's API client: every route's URL, the headers it sends, the error shape, the 401
 * renewal, and retries only where a repeat is safe.
 */
import { ApiError, errorOf, ReadRoomApi, ROUTES, type TokenSource } from '../../portal/src/api/client';

interface Sent {
  url: string;
  method: string;
  headers: Record<string, string>;
  body?: unknown;
}

/** A fetch that answers from a script of responses and records what it was sent. */
function scripted(...answers: Array<Response | Error | ((sent: Sent) => Response)>) {
  const sent: Sent[] = [];
  const fetch = (async (url: string, init: RequestInit) => {
    const s: Sent = { url: String(url), method: String(init.method), headers: { ...(init.headers as Record<string, string>) }, body: init.body ? JSON.parse(String(init.body)) : undefined };
    sent.push(s);
    const next = answers.shift();
    if (!next) throw new Error('no more answers scripted');
    if (next instanceof Error) throw next;
    return typeof next === 'function' ? next(s) : next;
  }) as unknown as typeof globalThis.fetch;
  return { fetch, sent };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

function tokens(over: Partial<TokenSource> = {}) {
  let n = 0;
  const renewed: string[] = [];
  return {
    renewed,
    idToken: async () => 'id-1',
    renew: async () => {
      const t = `id-renewed-${++n}`;
      renewed.push(t);
      return t;
    },
    ...over,
  };
}

const pauses: number[] = [];
function client(fetch: typeof globalThis.fetch, t: TokenSource = tokens(), keys = ['key-1', 'key-2']) {
  return new ReadRoomApi({ baseUrl: 'https://api.example.org', tokens: t, fetch, sleep: async (ms) => void pauses.push(ms), newKey: () => keys.shift()! });
}

beforeEach(() => {
  pauses.length = 0;
});

describe('routes', () => {
  it('knows every route of the reading API, each once, by the shape renamed in issue 11', () => {
    const keys = Object.values(ROUTES).map((r) => `${r.method} ${r.path}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys.sort()).toEqual(
      [
        'GET /me',
        'GET /study',
        'GET /queue',
        'POST /queue/next',
        'GET /assignments/{ref}/read',
        'PUT /assignments/{ref}/read',
        'POST /assignments/{ref}/session',
        'GET /adjudications',
        'GET /adjudications/{caseId}',
        'PUT /adjudications/{caseId}',
        'POST /adjudications/{caseId}/session',
        'POST /assignments',
        'POST /assignments/{ref}/withdraw',
        'GET /progress',
        'POST /exports',
        'GET /exports/{exportId}',
        'GET /audit',
      ].sort(),
    );
    // Only GETs and the requests with an Idempotency-Key (two PUTs, the withdrawal) may be repeated.
    for (const r of Object.values(ROUTES)) {
      const guarded = r.method === 'PUT' || r.path === '/assignments/{ref}/withdraw';
      expect([r.method, r.path, r.safety]).toEqual([r.method, r.path, r.method === 'GET' ? 'read' : guarded ? 'guarded' : 'once']);
    }
  });

  it('withdraws with the reason and the same Idempotency-Key on a repeat after a lost answer', async () => {
    const { fetch, sent } = scripted(new TypeError('connection reset'), json(200, { ref: 'abcdefghijk2', status: 'withdrawn' }));
    expect(await client(fetch).withdraw('abcdefghijk2', 'workload', 'w-key')).toMatchObject({ status: 'withdrawn' });
    expect(sent.map((s) => [s.method, s.url, s.body, s.headers['idempotency-key']])).toEqual([
      ['POST', 'https://api.example.org/assignments/abcdefghijk2/withdraw', { reason: 'workload' }, 'w-key'],
      ['POST', 'https://api.example.org/assignments/abcdefghijk2/withdraw', { reason: 'workload' }, 'w-key'],
    ]);
  });

  it('encodes path parameters and leaves out empty query values', () => {
    const api = client(scripted().fetch);
    expect(api.url('adjudication', { caseId: 'CASE/1 ?' })).toBe('https://api.example.org/adjudications/CASE%2F1%20%3F');
    expect(api.url('queue', {}, { status: 'pending', cursor: undefined, limit: 25 })).toBe('https://api.example.org/queue?status=pending&limit=25');
    expect(() => api.url('read', {})).toThrow(/missing path parameter ref/);
  });

  it('sends the ID token, JSON bodies, and If-Match with an Idempotency-Key on a save', async () => {
    const { fetch, sent } = scripted(json(200, { ref: 'abcdefghijkl', version: 4 }));
    await client(fetch).saveRead('abcdefghijkl', { answers: { eyes: {}, participant: { referral: 'none' } }, submit: true }, 3, 'key-9');
    expect(sent[0]).toEqual({
      url: 'https://api.example.org/assignments/abcdefghijkl/read',
      method: 'PUT',
      headers: { authorization: 'Bearer id-1', 'content-type': 'application/json', 'if-match': '"3"', 'idempotency-key': 'key-9' },
      body: { answers: { eyes: {}, participant: { referral: 'none' } }, submit: true },
    });
  });

  it('sends an Idempotency-Key with the adjudication and a formats body with an export', async () => {
    const { fetch, sent } = scripted(json(200, { caseId: 'C1', status: 'resolved' }), json(202, { exportId: 'ex-1', status: 'queued' }));
    const api = client(fetch);
    await api.resolve('C1', { picks: { participant: { referral: 'A' } }, reasonCode: 'read_a_correct' }, 'adj-key');
    await api.startExport(['csv']);
    expect(sent[0].headers['idempotency-key']).toBe('adj-key');
    expect(sent[1]).toMatchObject({ method: 'POST', url: 'https://api.example.org/exports', body: { formats: ['csv'] } });
  });
});

describe('errors', () => {
  it("reads the API's error shape with every field problem", async () => {
    const body = { error: { code: 'validation_failed', message: 'answers.eyes.OD.vcdr: …', field: 'answers.eyes.OD.vcdr', rule: 'range', errors: [{ path: 'answers.eyes.OD.vcdr', rule: 'range', message: 'x' }, { path: 'answers.eyes.OS.icdrLevel', rule: 'required', message: 'y' }] } };
    const e = (await errorOf(json(400, body)))!;
    expect(e).toBeInstanceOf(ApiError);
    expect([e.status, e.code, e.field, e.rule, e.errors.map((x) => x.path)]).toEqual([400, 'validation_failed', 'answers.eyes.OD.vcdr', 'range', ['answers.eyes.OD.vcdr', 'answers.eyes.OS.icdrLevel']]);
  });

  it("reads API Gateway's own 401 and answers that are not JSON", async () => {
    expect(await errorOf(json(401, { message: 'Unauthorized' }))).toMatchObject({ status: 401, code: 'unauthorized' });
    expect(await errorOf(new Response('<html>Bad gateway</html>', { status: 502 }))).toMatchObject({ status: 502, code: 'http_502' });
    expect(await errorOf(json(200, {}))).toBeUndefined();
  });

  it('turns a success that is not JSON into bad_answer, and a timeout into a network error', async () => {
    await expect(client(scripted(new Response('oops', { status: 200 })).fetch).me()).rejects.toMatchObject({ code: 'bad_answer' });
    const hang = (async (_u: string, init: RequestInit) =>
      new Promise((_r, reject) => init.signal!.addEventListener('abort', () => reject(Object.assign(new Error('aborted'), { name: 'AbortError' }))))) as unknown as typeof fetch;
    const api = new ReadRoomApi({ baseUrl: 'https://api.example.org', tokens: tokens(), fetch: hang, sleep: async () => undefined, timeoutMs: 20, attempts: 1 });
    await expect(api.me()).rejects.toMatchObject({ status: 0, code: 'network', message: 'The request timed out' });
  });
});

describe('401 and token renewal', () => {
  it('renews the ID token once after a 401 and sends the call again with it', async () => {
    const t = tokens();
    const { fetch, sent } = scripted(json(401, { message: 'Unauthorized' }), json(200, { readerId: 'r' }));
    await expect(client(fetch, t).me()).resolves.toEqual({ readerId: 'r' });
    expect(sent.map((s) => s.headers.authorization)).toEqual(['Bearer id-1', 'Bearer id-renewed-1']);
    expect(pauses).toEqual([]); // no back-off: the refused call never ran
  });

  it('renews even for a call that is never repeated (the authorizer refused it before it ran)', async () => {
    const { fetch, sent } = scripted(json(401, { message: 'Unauthorized' }), json(200, { assignment: null, claimed: false }));
    await client(fetch).next();
    expect(sent).toHaveLength(2);
  });

  it('gives up after a second 401 rather than looping', async () => {
    const { fetch, sent } = scripted(json(401, { message: 'Unauthorized' }), json(401, { message: 'Unauthorized' }));
    await expect(client(fetch).me()).rejects.toMatchObject({ status: 401, code: 'unauthorized' });
    expect(sent).toHaveLength(2);
  });

  it('says session_expired when no new token can be had', async () => {
    const { fetch } = scripted(json(401, { message: 'Unauthorized' }));
    const t = tokens({ renew: async () => Promise.reject(new Error('refresh refused')) });
    await expect(client(fetch, t).me()).rejects.toMatchObject({ status: 401, code: 'session_expired' });
  });
});

describe('retries', () => {
  it('repeats a GET after a network failure and a 503, with growing pauses, then succeeds', async () => {
    const { fetch, sent } = scripted(new TypeError('fetch failed'), json(503, { error: { code: 'internal', message: 'x' } }), json(200, { items: [] }));
    await expect(client(fetch).queue()).resolves.toEqual({ items: [] });
    expect(sent).toHaveLength(3);
    expect(pauses).toHaveLength(2);
    expect(pauses[1]).toBeGreaterThan(pauses[0]);
  });

  it('stops after three attempts and reports the last failure', async () => {
    const { fetch, sent } = scripted(json(500, { error: { code: 'internal', message: 'a' } }), json(502, {}), json(500, { error: { code: 'internal', message: 'c' } }));
    await expect(client(fetch).progress()).rejects.toMatchObject({ status: 500, code: 'internal' });
    expect(sent).toHaveLength(3);
  });

  it('repeats a save with the same If-Match and Idempotency-Key (the server replays a save that landed)', async () => {
    const { fetch, sent } = scripted(new TypeError('connection reset'), json(200, { version: 2 }));
    await client(fetch).saveRead('abcdefghijkl', { answers: { eyes: {}, participant: {} }, submit: false }, 1, 'the-key');
    expect(sent.map((s) => [s.headers['if-match'], s.headers['idempotency-key']])).toEqual([
      ['"1"', 'the-key'],
      ['"1"', 'the-key'],
    ]);
  });

  it('never repeats a POST: claim next, a session, bulk assignment, an export', async () => {
    for (const call of [(a: ReadRoomApi) => a.next(), (a: ReadRoomApi) => a.readSession('abcdefghijkl'), (a: ReadRoomApi) => a.assign({ dryRun: true }), (a: ReadRoomApi) => a.startExport()]) {
      const down = scripted(new TypeError('fetch failed'));
      await expect(call(client(down.fetch))).rejects.toMatchObject({ status: 0, code: 'network' });
      expect(down.sent).toHaveLength(1);
      const busy = scripted(json(503, { error: { code: 'busy', message: 'Many readers…' } }));
      await expect(call(client(busy.fetch))).rejects.toMatchObject({ status: 503, code: 'busy' });
      expect(busy.sent).toHaveLength(1);
    }
  });

  it('does not repeat a client error', async () => {
    const { fetch, sent } = scripted(json(412, { error: { code: 'version_mismatch', message: 'x' } }));
    await expect(client(fetch).saveRead('abcdefghijkl', { answers: { eyes: {}, participant: {} }, submit: false }, 1, 'k')).rejects.toMatchObject({ status: 412, code: 'version_mismatch' });
    expect(sent).toHaveLength(1);
  });
});
