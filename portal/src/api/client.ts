/**
 * The reading API client: the one module that knows every route, its error shape and which calls
 * may be repeated. Everything else calls a method here.
 *
 * Errors: the API answers `{ error: { code, message, field?, rule?, errors? } }` (API Gateway's own
 * authorizer answers 401 `{ message: "Unauthorized" }`); both become an `ApiError`, as do network
 * failures (status 0, code `network`) and answers that are not JSON.
 *
 * Retries (network errors, 429, 500, 502–504; three attempts, growing pauses) only where a repeat
 * cannot do a thing twice: GETs; the read's PUT, which carries `If-Match` and an `Idempotency-Key`
 * (a repeat of a save that did land is answered from the server's idempotency record, not refused
 * as a version mismatch); the adjudication's PUT with its `Idempotency-Key`. The POSTs (claim next,
 * sessions, bulk assignment, export) are sent once: the page shows the failure and the person
 * decides. A 401 on any route is answered once by renewing the ID token (the authorizer refused the
 * call before it ran) and sending it again.
 */
import type {
  AdjudicationDetail,
  AdjudicationItem,
  AssignBody,
  AssignResult,
  AuditEvent,
  ExportJob,
  Me,
  NextAnswer,
  Page,
  Progress,
  QueueItem,
  ReadView,
  ResolveBody,
  StreamingSession,
  Study,
  WithdrawReason,
  Withdrawn,
} from './types';
import type { NormalisedAnswers } from '../form/engine';

export interface FieldError {
  path: string;
  rule: string;
  message: string;
}

export class ApiError extends Error {
  constructor(
    /** 0 for a network failure or a timeout. */
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
    readonly rule?: string,
    /** Every problem of a validation failure (`field` and `rule` name the first). */
    readonly errors: readonly FieldError[] = [],
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Any failure as an ApiError (a thrown non-ApiError is a network-level failure). */
export function asApiError(e: unknown): ApiError {
  return e instanceof ApiError ? e : new ApiError(0, 'network', e instanceof Error ? e.message : String(e));
}

/** Where ID tokens come from (the sign-in session). */
export interface TokenSource {
  /** A valid ID token (the session refreshes it ahead of expiry). */
  idToken(): Promise<string>;
  /** After a 401: a new ID token (refresh now, or wait until the person signs in again); rejects when there is none. */
  renew(): Promise<string>;
}

type Method = 'GET' | 'POST' | 'PUT';
/** read: a GET; guarded: a PUT made safe to repeat by its headers; once: never repeated. */
type Safety = 'read' | 'guarded' | 'once';

interface Route {
  method: Method;
  path: string;
  safety: Safety;
}

/** Every route the portal calls (README "Reading workflow API"). */
export const ROUTES = {
  me: { method: 'GET', path: '/me', safety: 'read' },
  study: { method: 'GET', path: '/study', safety: 'read' },
  queue: { method: 'GET', path: '/queue', safety: 'read' },
  next: { method: 'POST', path: '/queue/next', safety: 'once' },
  read: { method: 'GET', path: '/assignments/{ref}/read', safety: 'read' },
  saveRead: { method: 'PUT', path: '/assignments/{ref}/read', safety: 'guarded' },
  readSession: { method: 'POST', path: '/assignments/{ref}/session', safety: 'once' },
  adjudications: { method: 'GET', path: '/adjudications', safety: 'read' },
  adjudication: { method: 'GET', path: '/adjudications/{caseId}', safety: 'read' },
  resolve: { method: 'PUT', path: '/adjudications/{caseId}', safety: 'guarded' },
  adjudicationSession: { method: 'POST', path: '/adjudications/{caseId}/session', safety: 'once' },
  assign: { method: 'POST', path: '/assignments', safety: 'once' },
  // With its Idempotency-Key a repeat is replayed, not applied twice (the fault tests show it).
  withdraw: { method: 'POST', path: '/assignments/{ref}/withdraw', safety: 'guarded' },
  progress: { method: 'GET', path: '/progress', safety: 'read' },
  startExport: { method: 'POST', path: '/exports', safety: 'once' },
  exportStatus: { method: 'GET', path: '/exports/{exportId}', safety: 'read' },
  audit: { method: 'GET', path: '/audit', safety: 'read' },
} as const satisfies Record<string, Route>;

export type RouteName = keyof typeof ROUTES;

export interface ApiOptions {
  baseUrl: string;
  tokens: TokenSource;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  /** @default 3 */
  attempts?: number;
  /** @default 30000 */
  timeoutMs?: number;
  /** New Idempotency-Key values. @default crypto.randomUUID */
  newKey?: () => string;
}

const RETRY_STATUS = new Set([429, 500, 502, 503, 504]);
const PAUSES_MS = [400, 1500, 4000];

type Query = Record<string, string | number | undefined>;

interface Call {
  params?: Record<string, string>;
  query?: Query;
  body?: unknown;
  headers?: Record<string, string>;
}

/** The error an answer stands for; `undefined` when it is a success. */
export async function errorOf(res: Response): Promise<ApiError | undefined> {
  if (res.ok) return undefined;
  const text = await res.text().catch(() => '');
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  const e = (body as { error?: Record<string, unknown> } | undefined)?.error;
  if (e && typeof e.code === 'string') {
    const errors = Array.isArray(e.errors) ? (e.errors as FieldError[]).filter((x) => x && typeof x.path === 'string') : [];
    return new ApiError(res.status, e.code, String(e.message ?? e.code), e.field as string | undefined, e.rule as string | undefined, errors);
  }
  if (res.status === 401) return new ApiError(401, 'unauthorized', 'Unauthorized');
  return new ApiError(res.status, `http_${res.status}`, `HTTP ${res.status}`);
}

export class ReadRoomApi {
  private readonly fetchImpl: typeof fetch;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly attempts: number;
  private readonly timeoutMs: number;
  readonly newKey: () => string;

  constructor(private readonly opts: ApiOptions) {
    this.fetchImpl = opts.fetch ?? ((...a) => globalThis.fetch(...a));
    this.sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.attempts = opts.attempts ?? 3;
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.newKey = opts.newKey ?? (() => crypto.randomUUID());
  }

  /** The URL of a route with its parameters and query. */
  url(name: RouteName, params: Record<string, string> = {}, query: Query = {}): string {
    const path = ROUTES[name].path.replace(/\{(\w+)\}/g, (_, p: string) => {
      if (!params[p]) throw new Error(`${name}: missing path parameter ${p}`);
      return encodeURIComponent(params[p]);
    });
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') q.set(k, String(v));
    const qs = q.toString();
    return `${this.opts.baseUrl}${path}${qs ? `?${qs}` : ''}`;
  }

  private async send(route: Route, url: string, call: Call, token: string): Promise<Response> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.timeoutMs);
    try {
      return await this.fetchImpl(url, {
        method: route.method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(call.body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...call.headers,
        },
        body: call.body !== undefined ? JSON.stringify(call.body) : undefined,
        credentials: 'omit',
        cache: 'no-store',
        signal: controller.signal,
      });
    } finally {
      clearTimeout(timer);
    }
  }

  /** One route: token, send, the 401 renewal, retries where safe, the error shape. */
  async call<T>(name: RouteName, call: Call = {}): Promise<{ body: T; status: number }> {
    const route: Route = ROUTES[name];
    const url = this.url(name, call.params, call.query);
    const repeatable = route.safety !== 'once';
    let token = await this.tokens().idToken();
    let renewed = false;
    for (let attempt = 1; ; attempt++) {
      let res: Response;
      try {
        res = await this.send(route, url, call, token);
      } catch (e) {
        if (repeatable && attempt < this.attempts) {
          await this.pause(attempt);
          continue;
        }
        const timedOut = (e as Error)?.name === 'AbortError';
        throw new ApiError(0, 'network', timedOut ? 'The request timed out' : `The reading service could not be reached: ${(e as Error)?.message ?? e}`);
      }
      if (res.status === 401 && !renewed) {
        renewed = true;
        try {
          token = await this.tokens().renew();
        } catch {
          throw new ApiError(401, 'session_expired', 'Your sign-in has ended; sign in again.');
        }
        attempt--; // the refused call did not run: it does not count as an attempt
        continue;
      }
      if (repeatable && RETRY_STATUS.has(res.status) && attempt < this.attempts) {
        await res.body?.cancel().catch(() => undefined);
        await this.pause(attempt);
        continue;
      }
      const error = await errorOf(res);
      if (error) throw error;
      const text = await res.text();
      try {
        return { body: (text ? JSON.parse(text) : undefined) as T, status: res.status };
      } catch {
        throw new ApiError(res.status, 'bad_answer', 'The reading service sent an answer that is not JSON');
      }
    }
  }

  private tokens(): TokenSource {
    return this.opts.tokens;
  }

  private pause(attempt: number): Promise<void> {
    const base = PAUSES_MS[Math.min(attempt - 1, PAUSES_MS.length - 1)];
    return this.sleep(base + Math.floor(Math.random() * base * 0.25));
  }

  private async get<T>(name: RouteName, call?: Call): Promise<T> {
    return (await this.call<T>(name, call)).body;
  }

  // -------------------------------------------------------------------------------------------
  // Every role

  me(): Promise<Me> {
    return this.get('me');
  }

  study(): Promise<Study> {
    return this.get('study');
  }

  // -------------------------------------------------------------------------------------------
  // Readers

  queue(q: { status?: string; cursor?: string; limit?: number } = {}): Promise<Page<QueueItem>> {
    return this.get('queue', { query: q });
  }

  next(): Promise<NextAnswer> {
    return this.get('next', { body: {} });
  }

  read(ref: string): Promise<ReadView> {
    return this.get('read', { params: { ref } });
  }

  /**
   * Saves a draft or submits. `version` is the version edited (If-Match); `key` the request's
   * Idempotency-Key: the caller keeps it for every retry of the same request (same answers, same
   * version), so a save that landed but whose answer was lost is replayed, not applied twice.
   */
  saveRead(ref: string, body: { answers: NormalisedAnswers; submit: boolean }, version: number, key: string): Promise<ReadView> {
    return this.get('saveRead', { params: { ref }, body, headers: { 'if-match': `"${version}"`, 'idempotency-key': key } });
  }

  readSession(ref: string): Promise<StreamingSession> {
    return this.get('readSession', { params: { ref } });
  }

  // -------------------------------------------------------------------------------------------
  // Adjudicators

  adjudications(q: { status?: 'open' | 'resolved'; cursor?: string; limit?: number } = {}): Promise<Page<AdjudicationItem>> {
    return this.get('adjudications', { query: q });
  }

  adjudication(caseId: string): Promise<AdjudicationDetail> {
    return this.get('adjudication', { params: { caseId } });
  }

  resolve(caseId: string, body: ResolveBody, key: string): Promise<{ caseId: string; status: 'resolved'; final: AdjudicationDetail['final'] }> {
    return this.get('resolve', { params: { caseId }, body, headers: { 'idempotency-key': key } });
  }

  adjudicationSession(caseId: string): Promise<StreamingSession> {
    return this.get('adjudicationSession', { params: { caseId } });
  }

  // -------------------------------------------------------------------------------------------
  // Coordinators

  assign(body: AssignBody): Promise<AssignResult> {
    return this.get('assign', { body });
  }

  /**
   * Withdraws an assignment without a submitted read (`ref`: as the audit log and bulk assignment's
   * `excludedAssignments` name it). `key`: the request's Idempotency-Key, the same for every retry.
   */
  withdraw(ref: string, reason: WithdrawReason, key: string): Promise<Withdrawn> {
    return this.get('withdraw', { params: { ref }, body: { reason }, headers: { 'idempotency-key': key } });
  }

  progress(q: { cursor?: string; limit?: number; rejections?: number; rejectionsCursor?: string } = {}): Promise<Progress> {
    return this.get('progress', { query: q });
  }

  startExport(formats?: string[]): Promise<ExportJob> {
    return this.get('startExport', { body: formats ? { formats } : {} });
  }

  exportStatus(exportId: string): Promise<ExportJob> {
    return this.get('exportStatus', { params: { exportId } });
  }

  audit(q: { day: string; cursor?: string; limit?: number }): Promise<Page<AuditEvent> & { day: string }> {
    return this.get('audit', { query: q });
  }
}
