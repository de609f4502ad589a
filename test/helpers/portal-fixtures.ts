/**
 * Stand-in answers for the portal's browser tests of what the local reading room cannot produce on
 * demand (injected failures and refusals, expired tokens, version conflicts, paging, AWS's embed
 * script, recorded request bodies); the real path runs against the room in
 * test/browser/room.test.ts. Everything the portal's fetch calls reach is answered here through
 * Playwright's `page.route`, shaped exactly like the handlers' documented answers (README "Reading
 * workflow API", lambda/reader-api/README.md, the adjudication and coordinator cores): the same
 * status codes, bodies and `{ error: { code, message, field?, rule?, errors? } }`. Drafts and
 * submissions are checked with the server's own validator, so a field message in a test is the
 * server's.
 *
 * Also here: a stand-in for Cognito's JSON API (refresh, and an SRP sign-in as moto answers it:
 * random SRP_B, no signature check) so page tests start signed in without an emulator (the
 * sign-in test itself runs against moto), and a stand-in for AWS's appstream-embed.js with the
 * documented surface.
 */
import { randomBytes } from 'node:crypto';
import type { Page, Route } from 'playwright-core';
import { validateAnswers } from '../../domain/form/validator';
import type { NormalisedAnswers } from '../../domain/answers';
import { DEFAULT_FORM } from '../../domain/reading-config';
import type { PortalConfig } from '../../portal/src/config';

export const API = 'https://api.readroom.test';
export const COGNITO = 'https://cognito.readroom.test/';
export const STREAM_HOST = 'https://appstream2.ap-northeast-2.aws.amazon.com';

export function fixtureConfig(over: Partial<PortalConfig> = {}): PortalConfig {
  return { apiUrl: API, region: 'ap-northeast-2', userPoolId: 'ap-northeast-2_Fixture1', clientId: 'fixtureclient', cognitoEndpoint: COGNITO, embedShim: true, ...over };
}

export interface FixtureUser {
  username: string;
  sub: string;
  email: string;
  groups: string[];
  site?: string;
}

export const USERS = {
  reader: { username: 'reader.kim', sub: 'sub-reader-kim', email: 'kim@example.org', groups: ['reader'], site: 'SNUH' },
  reader2: { username: 'reader.lee', sub: 'sub-reader-lee', email: 'lee@example.org', groups: ['reader'], site: 'AMC' },
  nosite: { username: 'reader.park', sub: 'sub-reader-park', email: 'park@example.org', groups: ['reader'] },
  adjudicator: { username: 'adj.choi', sub: 'sub-adj-choi', email: 'choi@example.org', groups: ['adjudicator'], site: 'SMC' },
  dual: { username: 'adj.jung', sub: 'sub-adj-jung', email: 'jung@example.org', groups: ['adjudicator', 'coordinator'], site: 'SMC' },
  coordinator: { username: 'coord.han', sub: 'sub-coord-han', email: 'han@example.org', groups: ['coordinator'] },
} satisfies Record<string, FixtureUser>;

const b64url = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

/** An unsigned JWT with Cognito's ID token claims (the portal reads claims; the fixture API checks them). */
export function idToken(user: FixtureUser, expiresInSeconds = 900, nowMs = Date.now()): string {
  const now = Math.floor(nowMs / 1000);
  return `${b64url({ alg: 'none', kid: 'fixture' })}.${b64url({ sub: user.sub, 'cognito:username': user.username, email: user.email, 'cognito:groups': user.groups, ...(user.site ? { 'custom:site': user.site } : {}), token_use: 'id', iat: now, exp: now + expiresInSeconds })}.fixture`;
}

export const STUDY = {
  displayName: { en: 'KNHANES fundus grading (demo)', ko: '국민건강영양조사 안저 판독 (시연)' },
  form: DEFAULT_FORM,
  readsPerCase: 2,
  streaming: { urlValiditySeconds: 60, sessionMaxSeconds: 28_800 },
};

type Json = Record<string, unknown>;

interface FakeAssignment {
  ref: string;
  caseId: string;
  reader: string;
  status: 'pending' | 'in_progress' | 'submitted';
  assignedAt: string;
  updatedAt: string;
  submittedAt?: string;
  facts: { octPresent: boolean; octEyes?: Array<'OD' | 'OS'>; eyes: Array<'OD' | 'OS'> };
  context?: Json;
  read?: { version: number; status: 'draft' | 'submitted'; answers: NormalisedAnswers; updatedAt: string; submittedAt?: string };
  locked?: boolean;
}

export interface Recorded {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  body: unknown;
}

const err = (status: number, code: string, message: string, extra: Json = {}) => ({ status, body: { error: { code, message, ...extra } } });

/** Valid answers for the default form (both eyes gradable, no DR). */
export function validAnswers(): NormalisedAnswers {
  const eye = { fundusQuality: 'good', icdrLevel: 'none', dme: 'absent', beckmanClass: 'no_aging_changes', vcdr: 0.3, glaucomaLikelihood: 'no' };
  return { eyes: { OD: { ...eye }, OS: { ...eye } }, participant: { referral: 'none' } };
}

/** 12 random lowercase base32 characters, like the store's refs. */
const newRef = () => [...randomBytes(12)].map((b) => 'abcdefghijklmnopqrstuvwxyz234567'[b % 32]).join('');

export class PortalFixtures {
  readonly requests: Recorded[] = [];
  readonly cognitoCalls: Array<{ target: string; body: Json }> = [];
  assignments: FakeAssignment[] = [];
  /** Cases "claim next" hands out, in order. */
  waiting: Array<Pick<FakeAssignment, 'caseId' | 'facts' | 'context'>> = [];
  /** `POST /queue/next` answers this instead of claiming. */
  nextOutcome: 'claim' | 'workload_cap' | 'busy' = 'claim';
  /** Refresh tokens Cognito refuses (revoked or expired). */
  refusedRefresh = new Set<string>();
  /** The ID token lifetime Cognito hands out. */
  tokenSeconds = 900;
  /**
   * Accept ID tokens this fixture did not issue (the sign-in test's tokens come from moto): the
   * user is the fixture user with the token's `cognito:username`, with the token's sub.
   */
  trustTokenClaims = false;
  /** Failures to inject: route key ("PUT /assignments/{ref}/read") → statuses ('network' = abort), used in order. */
  faults = new Map<string, Array<number | 'network'>>();
  adjudications: Array<Json & { caseId: string; status: 'open' | 'resolved' }> = [];
  adjudicationDetails = new Map<string, Json>();
  exports = new Map<string, { polls: number; formats: string[]; createdAt: string }>();
  audit: Json[] = [];
  private idempotency = new Map<string, { status: number; body: unknown; fingerprint: string }>();
  private tokens = new Map<string, FixtureUser>();

  constructor(readonly users: Record<string, FixtureUser> = USERS) {}

  /** A refresh token Cognito accepts for this user (kept in sessionStorage, the page restores from it). */
  refreshTokenOf(user: FixtureUser): string {
    return `refresh-${user.username}`;
  }

  /** Makes the page start signed in as `user`: the tab holds the refresh token, the portal refreshes. */
  async signInAs(page: Page, user: FixtureUser): Promise<void> {
    await page.addInitScript(([key, value]) => {
      // The top document only (init scripts also run in the streaming frame, which has no storage access).
      if (window === window.top) sessionStorage.setItem(key, value);
    }, ['readroom.auth', JSON.stringify({ username: user.username, refreshToken: this.refreshTokenOf(user) })] as const);
  }

  /**
   * Opens the portal at `url` as `user`: these answers installed, the tab signed in. `clock`:
   * Playwright's fake clock installed first (time flows as usual until a test moves it on with
   * `page.clock.fastForward`, which fires the portal's own timers, such as the autosave, at once).
   */
  async open(page: Page, user: FixtureUser, url: string, opts: { clock?: boolean } = {}): Promise<void> {
    if (opts.clock) await page.clock.install();
    await this.install(page);
    await this.signInAs(page, user);
    await page.goto(url);
  }

  addAssignment(reader: FixtureUser, over: Partial<FakeAssignment> = {}): FakeAssignment {
    const at = '2026-12-01T09:00:00.000Z';
    const a: FakeAssignment = { ref: newRef(), caseId: `CASE-${String(this.assignments.length + 1).padStart(4, '0')}`, reader: reader.sub, status: 'pending', assignedAt: at, updatedAt: at, facts: { octPresent: false, eyes: ['OD', 'OS'] }, ...over };
    this.assignments.push(a);
    return a;
  }

  async install(page: Page): Promise<void> {
    await page.route(`${COGNITO}**`, (route) => this.cognito(route));
    await page.route(`${API}/**`, (route) => this.api(route));
    await page.route(`${STREAM_HOST}/**`, (route) =>
      route.fulfill({ status: 200, contentType: 'text/html', body: `<!doctype html><html lang="en"><head><title>Images</title></head><body><p id="viewer">Viewer for session ${new URL(route.request().url()).searchParams.get('parameters') ?? ''}</p></body></html>` }),
    );
  }

  // -------------------------------------------------------------------------------------------
  // Cognito (the JSON API the portal's CognitoClient calls).

  private async cognito(route: Route): Promise<void> {
    const req = route.request();
    const target = (req.headers()['x-amz-target'] ?? '').split('.').pop() ?? '';
    const body = (req.postDataJSON() ?? {}) as Json;
    this.cognitoCalls.push({ target, body });
    const answer = (status: number, json: Json) => route.fulfill({ status, contentType: 'application/x-amz-json-1.1', headers: { 'access-control-allow-origin': '*' }, body: JSON.stringify(json) });
    const tokensFor = (user: FixtureUser, withRefresh: boolean) => {
      const id = idToken(user, this.tokenSeconds);
      this.tokens.set(id, user);
      return { AuthenticationResult: { IdToken: id, AccessToken: `access-${user.username}`, ExpiresIn: this.tokenSeconds, TokenType: 'Bearer', ...(withRefresh ? { RefreshToken: this.refreshTokenOf(user) } : {}) } };
    };
    const userNamed = (name: unknown) => Object.values(this.users).find((u) => u.username === name);
    if (req.method() === 'OPTIONS') return route.fulfill({ status: 200, headers: { 'access-control-allow-origin': '*', 'access-control-allow-headers': '*', 'access-control-allow-methods': 'POST' } });
    if (target === 'InitiateAuth' && body.AuthFlow === 'REFRESH_TOKEN_AUTH') {
      const token = String((body.AuthParameters as Json).REFRESH_TOKEN);
      const user = Object.values(this.users).find((u) => this.refreshTokenOf(u) === token);
      if (!user || this.refusedRefresh.has(token)) return answer(400, { __type: 'NotAuthorizedException', message: 'Refresh Token has expired' });
      return answer(200, tokensFor(user, false));
    }
    if (target === 'InitiateAuth' && body.AuthFlow === 'USER_SRP_AUTH') {
      const name = (body.AuthParameters as Json).USERNAME;
      const user = userNamed(name);
      if (!user) return answer(400, { __type: 'NotAuthorizedException', message: 'Incorrect username or password.' });
      return answer(200, { ChallengeName: 'PASSWORD_VERIFIER', ChallengeParameters: { USERNAME: user.username, USER_ID_FOR_SRP: user.sub, SRP_B: 'ab'.repeat(384), SALT: 'cd'.repeat(16), SECRET_BLOCK: Buffer.from('secret-block').toString('base64') } });
    }
    if (target === 'RespondToAuthChallenge' && body.ChallengeName === 'PASSWORD_VERIFIER') {
      return answer(200, { ChallengeName: 'SOFTWARE_TOKEN_MFA', Session: 'mfa-session', ChallengeParameters: { USERNAME: (body.ChallengeResponses as Json).USERNAME } });
    }
    if (target === 'RespondToAuthChallenge' && body.ChallengeName === 'SOFTWARE_TOKEN_MFA') {
      const responses = body.ChallengeResponses as Json;
      if (responses.SOFTWARE_TOKEN_MFA_CODE !== '123456') return answer(400, { __type: 'CodeMismatchException', message: 'Invalid code received for user' });
      const user = userNamed(responses.USERNAME)!;
      this.refusedRefresh.delete(this.refreshTokenOf(user));
      return answer(200, tokensFor(user, true));
    }
    if (target === 'RevokeToken' || target === 'GlobalSignOut') return answer(200, {});
    return answer(400, { __type: 'InvalidParameterException', message: `fixture: ${target} not answered` });
  }

  // -------------------------------------------------------------------------------------------
  // The reading API.

  private async api(route: Route): Promise<void> {
    const req = route.request();
    const url = new URL(req.url());
    const path = url.pathname;
    const headers = req.headers();
    const cors = { 'access-control-allow-origin': '*', 'access-control-allow-headers': 'authorization,content-type,if-match,idempotency-key', 'access-control-allow-methods': 'GET,POST,PUT', 'access-control-expose-headers': 'etag' };
    if (req.method() === 'OPTIONS') return route.fulfill({ status: 204, headers: cors });
    let body: unknown;
    try {
      body = req.postData() ? JSON.parse(req.postData()!) : undefined;
    } catch {
      body = req.postData();
    }
    this.requests.push({ method: req.method(), path, query: Object.fromEntries(url.searchParams), headers, body });
    const key = `${req.method()} ${path.replace(/^\/assignments\/[a-z2-7]{12}\//, '/assignments/{ref}/').replace(/^\/adjudications\/[^/]+/, (m) => (m === '/adjudications' ? m : '/adjudications/{caseId}')).replace(/^\/exports\/.+$/, '/exports/{exportId}')}`;
    const fault = this.faults.get(key)?.shift();
    if (fault === 'network') return route.abort('connectionreset');
    const send = (status: number, json: unknown, extra: Record<string, string> = {}) => route.fulfill({ status, contentType: 'application/json', headers: { ...cors, ...extra }, body: JSON.stringify(json) });
    if (fault !== undefined) return send(fault, { error: { code: fault >= 500 ? 'internal' : 'fault', message: 'injected' } });
    // API Gateway's JWT authorizer: its own 401 body.
    const token = (headers.authorization ?? '').replace(/^Bearer /, '');
    let claims: Json = {};
    try {
      claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as Json;
    } catch {
      claims = {};
    }
    let user = this.tokens.get(token);
    if (!user && this.trustTokenClaims) {
      const known = Object.values(this.users).find((u) => u.username === claims['cognito:username']);
      if (known) user = { ...known, sub: String(claims.sub) };
    }
    if (!user || Number(claims.exp) * 1000 < Date.now()) return send(401, { message: 'Unauthorized' });
    const out = this.handle(user, req.method(), path, url.searchParams, body, headers);
    return send(out.status, out.body, out.headers);
  }

  private handle(user: FixtureUser, method: string, path: string, q: URLSearchParams, body: unknown, headers: Record<string, string>): { status: number; body: unknown; headers?: Record<string, string> } {
    const is = (...roles: string[]) => roles.some((r) => user.groups.includes(r));
    const ok = (b: unknown, status = 200, h?: Record<string, string>) => ({ status, body: b, headers: h });
    let m: RegExpMatchArray | null;
    if (method === 'GET' && path === '/me') {
      const mine = this.assignments.filter((a) => a.reader === user.sub);
      return ok({
        readerId: user.sub,
        email: user.email,
        roles: [...user.groups].sort(),
        ...(user.site ? { site: user.site } : { siteProblem: 'missing' }),
        progress: is('reader') ? { open: mine.filter((a) => a.status !== 'submitted').length, submitted: mine.filter((a) => a.status === 'submitted').length } : undefined,
      });
    }
    if (method === 'GET' && path === '/study') return ok(STUDY);
    if (method === 'GET' && path === '/queue') {
      if (!is('reader')) return err(403, 'forbidden', 'Readers only');
      const status = q.get('status');
      if (status && !['in_progress', 'pending', 'submitted'].includes(status)) return err(400, 'validation_failed', 'status: must be one of in_progress, pending, submitted', { field: 'status', rule: 'enum' });
      const limit = Number(q.get('limit') ?? 25);
      const start = Number(q.get('cursor') ?? 0);
      const mine = this.assignments.filter((a) => a.reader === user.sub && (!status || a.status === status));
      const page = mine.slice(start, start + limit).map((a) => ({ ref: a.ref, status: a.status, assignedAt: a.assignedAt, updatedAt: a.updatedAt, ...(a.submittedAt ? { submittedAt: a.submittedAt } : {}) }));
      return ok({ items: page, ...(start + limit < mine.length ? { cursor: String(start + limit) } : {}) });
    }
    if (method === 'POST' && path === '/queue/next') {
      if (!is('reader')) return err(403, 'forbidden', 'Readers only');
      const open = this.assignments.find((a) => a.reader === user.sub && a.status !== 'submitted');
      const view = (a: FakeAssignment) => ({ ref: a.ref, status: a.status, assignedAt: a.assignedAt, updatedAt: a.updatedAt });
      if (open) return ok({ assignment: view(open), claimed: false });
      if (!user.site) return err(403, 'site_missing', 'Your account has no site (custom:site); an administrator must set it before you can take new cases.');
      if (this.nextOutcome === 'workload_cap') return err(409, 'workload_cap', 'You already have 10 open cases; submit one before taking another.');
      if (this.nextOutcome === 'busy') return err(503, 'busy', 'Many readers are taking cases right now; try again in a few seconds.');
      const c = this.waiting.shift();
      if (!c) return ok({ assignment: null, claimed: false, message: 'No case is waiting for you right now.' });
      return ok({ assignment: view(this.addAssignment(user, c)), claimed: true });
    }
    if ((m = path.match(/^\/assignments\/([^/]+)\/(read|session)$/))) {
      if (!is('reader')) return err(403, 'forbidden', 'Readers only');
      const a = this.assignments.find((x) => x.ref === m![1] && x.reader === user.sub);
      if (!a) return err(404, 'not_found', 'No assignment of yours with this reference was not found.');
      if (m[2] === 'session' && method === 'POST') return ok({ ref: a.ref, streamingUrl: `${STREAM_HOST}/authenticate?parameters=${a.ref}-${this.requests.length}`, expiresAt: new Date(Date.now() + 60_000).toISOString() }, 201);
      if (m[2] === 'read' && method === 'GET') return ok(this.readView(a), 200, { etag: `"${a.read?.version ?? 0}"` });
      if (m[2] === 'read' && method === 'PUT') return this.putRead(user, a, body as Json, headers);
    }
    if (method === 'GET' && path === '/adjudications') {
      const denied = this.adjudicatorRefusal(user);
      if (denied) return denied;
      const status = q.get('status') ?? 'open';
      return ok({ items: this.adjudications.filter((a) => a.status === status) });
    }
    if ((m = path.match(/^\/adjudications\/([^/]+)(\/session)?$/))) {
      const denied = this.adjudicatorRefusal(user);
      if (denied) return denied;
      const caseId = m[1];
      const detail = this.adjudicationDetails.get(caseId);
      if (!detail) return err(404, 'not_found', `Adjudication task for case ${caseId} was not found.`);
      if (detail.conflict) return err(403, 'conflict_of_interest', 'You read this case.');
      if (m[2] && method === 'POST') return ok({ streamingUrl: `${STREAM_HOST}/authenticate?parameters=adj-${caseId}`, expiresAt: new Date(Date.now() + 60_000).toISOString() }, 201);
      if (method === 'GET') return ok(detail);
      if (method === 'PUT') return this.resolve(user, caseId, detail, body as Json, headers['idempotency-key']);
    }
    if (path === '/assignments' && method === 'POST') {
      if (!is('coordinator', 'admin')) return err(403, 'forbidden', 'Coordinators only');
      const b = (body ?? {}) as Json;
      return ok({
        dryRun: b.dryRun === true,
        readsPerCase: (b.readsPerCase as number) ?? 2,
        assigned: [{ caseId: 'CASE-0101', readerId: USERS.reader.sub }, { caseId: 'CASE-0101', readerId: USERS.reader2.sub }],
        repeats: [],
        unfilled: [{ caseId: 'CASE-0102', missing: 1, reason: 'no_eligible_reader' }],
        skipped: [],
        skippedReaders: [{ readerId: USERS.nosite.sub, reason: 'site_missing' }],
      });
    }
    if (path === '/progress' && method === 'GET') {
      if (!is('coordinator', 'admin')) return err(403, 'forbidden', 'Coordinators only');
      const rejections = [{ caseId: 'CASE-0900', at: '2026-12-02T08:00:00.000Z', reasons: [{ field: 'files.0.key', rule: 'missing', message: "files.0.key: 'od.jpg' is not in the case folder" }] }];
      const readers = Object.values(this.users)
        .filter((u) => u.groups.includes('reader'))
        .map((u) => ({ readerId: u.sub, email: u.email, ...(u.site ? { site: u.site } : {}), openCount: 1, submittedCount: 3 }));
      const cursor = q.get('cursor');
      return ok({
        cases: { open: 40, adjudication: 3, final: 7, total: 50 },
        adjudications: { open: 3, resolved: 2 },
        readers: cursor ? readers.slice(2) : readers.slice(0, 2),
        ...(cursor ? {} : { cursor: 'readers-2' }),
        rejections: q.get('rejections') === '0' ? [] : rejections,
      });
    }
    if (path === '/exports' && method === 'POST') {
      if (!is('coordinator', 'admin')) return err(403, 'forbidden', 'Coordinators only');
      const exportId = `ex-20261205T010203Z-${String(this.exports.size).padStart(8, 'a')}`;
      const formats = ((body as Json)?.formats as string[]) ?? ['csv', 'json'];
      const createdAt = new Date().toISOString();
      this.exports.set(exportId, { polls: 0, formats, createdAt });
      return ok({ exportId, status: 'queued', createdAt, formats }, 202, { location: `/exports/${exportId}` });
    }
    if ((m = path.match(/^\/exports\/(.+)$/)) && method === 'GET') {
      const job = this.exports.get(m[1]);
      if (!job) return err(404, 'not_found', `Export ${m[1]} was not found.`);
      job.polls++;
      const base = { exportId: m[1], createdAt: job.createdAt, formats: job.formats };
      if (job.polls < 2) return ok({ ...base, status: 'running', startedAt: job.createdAt });
      return ok({
        ...base,
        status: 'complete',
        startedAt: job.createdAt,
        completedAt: new Date().toISOString(),
        counts: { cases: 7, rows: 14, reads: 14 },
        expiresInSeconds: 900,
        files: job.formats.map((f) => ({ name: `readroom-export.${f}`, bytes: 20480, url: `https://exports.readroom.test/${m![1]}/readroom-export.${f}?X-Amz-Signature=fixture` })),
      });
    }
    if (path === '/audit' && method === 'GET') {
      if (!is('coordinator', 'admin')) return err(403, 'forbidden', 'Coordinators only');
      const day = q.get('day') ?? '';
      if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return err(400, 'validation_failed', 'day: must be a date YYYY-MM-DD', { field: 'day', rule: 'format' });
      return ok({ day, items: this.audit.filter((e) => String(e.at).startsWith(day)) });
    }
    return err(404, 'no_route', `No route ${method} ${path}`);
  }

  private adjudicatorRefusal(user: FixtureUser) {
    if (!user.groups.includes('adjudicator')) return err(403, 'forbidden', 'Adjudicators only');
    if (user.groups.includes('coordinator') || user.groups.includes('admin')) return err(403, 'dual_role', 'You are also a coordinator or admin.');
    if (!user.site) return err(403, 'site_missing', 'No site.');
    return undefined;
  }

  readView(a: FakeAssignment) {
    return {
      ref: a.ref,
      version: a.read?.version ?? 0,
      status: a.read?.status ?? 'not_started',
      editable: !a.locked,
      answers: a.read?.answers ?? { eyes: {}, participant: {} },
      formId: DEFAULT_FORM.formId,
      formVersion: DEFAULT_FORM.formVersion,
      facts: a.facts,
      ...(a.context ? { context: a.context } : {}),
      ...(a.read ? { updatedAt: a.read.updatedAt } : {}),
      ...(a.read?.submittedAt ? { submittedAt: a.read.submittedAt } : {}),
    };
  }

  /** PUT /assignments/{ref}/read as reader-api's putRead answers it. */
  private putRead(user: FixtureUser, a: FakeAssignment, body: Json, headers: Record<string, string>): { status: number; body: unknown; headers?: Record<string, string> } {
    const key = headers['idempotency-key'];
    const ifMatch = headers['if-match'];
    const fingerprint = JSON.stringify([a.ref, ifMatch ?? null, body]);
    if (key) {
      const stored = this.idempotency.get(`${user.sub}:${key}`);
      if (stored) {
        if (stored.fingerprint !== fingerprint) return err(422, 'idempotency_key_reused', 'Idempotency-Key: was already used for a different request; use a new key for a new change.', { field: 'Idempotency-Key', rule: 'reused' });
        return { status: stored.status, body: stored.body, headers: { 'idempotent-replayed': 'true' } };
      }
    }
    const current = a.read?.version ?? 0;
    if (a.read && ifMatch === undefined) return err(428, 'precondition_required', 'If-Match: required when the read already exists.', { field: 'If-Match', rule: 'required' });
    const expected = ifMatch === undefined ? 0 : Number(/"?(\d+)"?/.exec(ifMatch)?.[1]);
    if (expected !== current) return err(412, 'version_mismatch', `The read changed since version you edited; current version is ${current}. Reload and apply your change again.`);
    const submit = body.submit === true;
    if (a.read?.status === 'submitted' && !submit) return err(409, 'already_submitted', 'This read was submitted; an amendment must be submitted again (submit: true).');
    if (a.locked) return err(409, 'read_locked', 'This case is closed for amendments: all its reads are in.');
    const checked = validateAnswers(DEFAULT_FORM, body.answers, a.facts, { mode: submit ? 'submit' : 'draft' });
    if (!checked.ok) {
      const errors = checked.errors.map((e) => ({ ...e, path: e.path === '$' ? 'answers' : `answers.${e.path}` }));
      return err(400, 'validation_failed', `${errors[0].path}: ${errors[0].message}`, { field: errors[0].path, rule: errors[0].rule, errors });
    }
    const at = new Date().toISOString();
    const first = submit && a.read?.status !== 'submitted';
    a.read = { version: current + 1, status: submit ? 'submitted' : 'draft', answers: checked.value, updatedAt: at, ...(first ? { submittedAt: at } : a.read?.submittedAt ? { submittedAt: a.read.submittedAt } : {}) };
    a.updatedAt = at;
    if (submit) {
      a.status = 'submitted';
      a.submittedAt ??= at;
    } else if (a.status === 'pending') a.status = 'in_progress';
    const result = { status: a.read.version === 1 ? 201 : 200, body: this.readView(a) };
    if (key) this.idempotency.set(`${user.sub}:${key}`, { ...result, fingerprint });
    return { ...result, headers: { etag: `"${a.read.version}"` } };
  }

  /** Every ID token handed out so far stops being accepted (as after its expiry). */
  expireIdTokens(): void {
    this.tokens.clear();
  }

  /** Another tab saves version n+1 of this read behind the page's back. */
  saveElsewhere(a: FakeAssignment, answers: NormalisedAnswers): void {
    const at = new Date().toISOString();
    a.read = { version: (a.read?.version ?? 0) + 1, status: 'draft', answers, updatedAt: at };
  }

  private resolve(user: FixtureUser, caseId: string, detail: Json, body: Json, key: string | undefined) {
    const fingerprint = JSON.stringify([caseId, body]);
    if (key) {
      const stored = this.idempotency.get(`${user.sub}:${key}`);
      if (stored) return stored.fingerprint === fingerprint ? { status: stored.status, body: stored.body } : err(422, 'idempotency_key_reused', 'reused');
    }
    if (detail.status !== 'open') return err(409, 'already_resolved', `The adjudication of case ${caseId} is already resolved.`);
    const codes = detail.reasonCodes as string[];
    if (!codes.includes(String(body.reasonCode))) return err(400, 'validation_failed', 'reasonCode: invalid', { field: 'reasonCode', rule: 'invalid_value' });
    if (body.reasonCode === 'other' && !body.note) return err(400, 'validation_failed', "note: required when reasonCode is 'other'", { field: 'note', rule: 'required' });
    const picks = (body.picks ?? {}) as { eyes?: Record<string, Record<string, unknown>>; participant?: Record<string, unknown> };
    const errors: Array<{ path: string; rule: string; message: string }> = [];
    for (const r of detail.reasons as Array<{ question: string; eye?: string }>) {
      const scope = r.eye ? picks.eyes?.[r.eye] : picks.participant;
      if (!scope || !(r.question in scope)) {
        const path = `picks.${r.eye ? `eyes.${r.eye}` : 'participant'}.${r.question}`;
        errors.push({ path, rule: 'required', message: `${path}: the reads are discordant on '${r.question}'; pick 'A', 'B' or { "value": … }` });
      }
    }
    if (errors.length) return err(400, 'validation_failed', errors[0].message, { field: errors[0].path, rule: 'required', errors });
    const reads = detail.reads as Record<string, NormalisedAnswers>;
    const value: NormalisedAnswers = JSON.parse(JSON.stringify(reads.A));
    for (const [eye, scope] of Object.entries(picks.eyes ?? {})) {
      for (const [q, pick] of Object.entries(scope)) (value.eyes[eye as 'OD'] ??= {})[q] = typeof pick === 'string' ? reads[pick].eyes[eye as 'OD']![q] : (pick as { value: never }).value;
    }
    const final = { provenance: 'adjudicated', value, decidedAt: new Date().toISOString(), reasonCode: body.reasonCode, ...(body.note ? { note: body.note } : {}), picks: [] };
    detail.status = 'resolved';
    detail.final = final;
    const task = this.adjudications.find((a) => a.caseId === caseId);
    if (task) task.status = 'resolved';
    const result = { status: 200, body: { caseId, status: 'resolved', final } };
    if (key) this.idempotency.set(`${user.sub}:${key}`, { ...result, fingerprint });
    return result;
  }

  /** An open adjudication with reads A and B disagreeing on OD's DR level. */
  addAdjudication(caseId = 'CASE-0042', over: Json = {}): void {
    const a = validAnswers();
    const b = validAnswers();
    b.eyes.OD!.icdrLevel = 'severe_npdr';
    const reasons = [{ rule: 'D2', question: 'icdrLevel', eye: 'OD', detail: 'A: none, B: severe_npdr' }];
    const item = { caseId, status: 'open' as const, priority: 'normal', reasons, openedAt: '2026-12-03T10:00:00.000Z' };
    this.adjudications.push(item);
    this.adjudicationDetails.set(caseId, {
      ...item,
      formVersion: DEFAULT_FORM.formVersion,
      facts: { octPresent: false, eyes: ['OD', 'OS'] },
      reads: { A: a, B: b },
      reasonCodes: ['read_a_correct', 'read_b_correct', 'both_partly_correct', 'neither_correct', 'borderline_either_acceptable', 'image_quality_limits_grading', 'protocol_interpretation', 'other'],
      ...over,
    });
  }

  /** Requests to a route key, e.g. `PUT /assignments/{ref}/read`. */
  calls(method: string, pathPattern: RegExp): Recorded[] {
    return this.requests.filter((r) => r.method === method && pathPattern.test(r.path));
  }
}

/**
 * A stand-in for AWS's appstream-embed.js with its documented surface (the constructor, the
 * constants, the three events, endSession/getSessionState/destroy). It records what the portal
 * passed (window.__embedCalls) and injects an iframe, as AWS's does.
 */
export const FAKE_AWS_EMBED_JS = `
(function () {
  var calls = (window.__embedCalls = []);
  function Embed(containerId, options) {
    calls.push({ containerId: containerId, options: options });
    this.listeners = {};
    var frame = document.createElement('iframe');
    frame.src = options.sessionURL;
    frame.setAttribute('data-embed', 'aws-fake');
    document.getElementById(containerId).appendChild(frame);
    this.frame = frame;
    var self = this;
    frame.addEventListener('load', function () { self.emit(Embed.Events.SESSION_STATE_CHANGE, { sessionStatus: Embed.SessionStatus.Started }); });
  }
  Embed.prototype.addEventListener = function (name, cb) { (this.listeners[name] = this.listeners[name] || []).push(cb); };
  Embed.prototype.removeEventListener = function (name, cb) { this.listeners[name] = (this.listeners[name] || []).filter(function (x) { return x !== cb; }); };
  Embed.prototype.emit = function (name, data) { (this.listeners[name] || []).forEach(function (cb) { cb(data); }); };
  Embed.prototype.endSession = function () { calls.push({ endSession: true }); this.emit(Embed.Events.SESSION_STATE_CHANGE, { sessionStatus: Embed.SessionStatus.Ended }); };
  Embed.prototype.getSessionState = function () { return {}; };
  Embed.prototype.destroy = function () { this.frame.remove(); };
  Embed.Events = { SESSION_STATE_CHANGE: 'aws:sessionStateChange', SESSION_INTERFACE_STATE_CHANGE: 'aws:interface', SESSION_ERROR: 'aws:error' };
  Embed.Options = { HIDDEN_ELEMENTS: 'aws:hiddenElements' };
  Embed.Elements = { TOOLBAR: 'aws:toolbar', FILES_BUTTON: 'aws:files', CLIPBOARD_BUTTON: 'aws:clipboard', COPY_LOCAL_BUTTON: 'aws:copyLocal', PASTE_REMOTE_BUTTON: 'aws:pasteRemote', END_SESSION_BUTTON: 'aws:end' };
  Embed.SessionStatus = { Unknown: 'Unknown', Reserved: 'Reserved', Started: 'Started', Disconnected: 'Disconnected', Ended: 'Ended' };
  window.AppStream = { Embed: Embed };
})();
`;
