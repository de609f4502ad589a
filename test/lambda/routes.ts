/**
 * Every HTTP API route, who may call it, and a sample valid request: the authorization matrix
 * (authz-matrix.test.ts) runs each route for each kind of caller, and other suites may reuse the
 * samples. Append new routes here; keep one entry per route key.
 *
 * Conventions for `arrange`: it runs on an empty table (the matrix keeps the state it leaves for the
 * route's next cells while no call changes it) and sets up whatever makes
 * the request valid for `h.users.reader` (and for each role in `roles`). For `caseScoped` routes the
 * `{ref}` path value is `h.users.reader`'s assignment ref (readers never see case ids), and
 * `arrange` must NOT assign `h.users.reader2`: that user is the matrix's "another reader", who sends
 * a ref that is not theirs and must get 404 (the same as an unknown ref, so refs cannot be probed).
 *
 * Not here: `GET /fleet/case-files` is on the private REST API with AWS_IAM auth (no JWT); its
 * authorization is tested in case-files/handler.test.ts.
 */
import type { AuditAction } from '../../lambda/store/audit';
import type { Role } from '../../lambda/runtime/auth';
import type { CallRequest, Harness, HttpHandler } from '../helpers/api-harness';
import { assign, seedCase, validAnswers } from '../helpers/reading-fixtures';

/**
 * Callers the matrix adds to the roles: a reader whose `custom:site` is missing (the same-site rule
 * fails closed), and an adjudicator who is also a coordinator (never blind to the readers).
 */
export type ExtraCaller = 'reader without a site' | 'adjudicator and coordinator';

export interface RouteSpec {
  /** As API Gateway names it: "METHOD /path/{param}". */
  routeKey: string;
  /** The handler module (for the report) and how to load it. */
  module: string;
  load: () => Promise<HttpHandler>;
  /** Groups that may call the route; anyone else signed in gets 403. */
  roles: readonly Role[];
  /** Routes about one reader's assignment (path value: its ref): another reader gets 404. */
  caseScoped: boolean;
  /** Arranges state and returns the request (without token) that an allowed caller makes. */
  arrange(h: Harness): Promise<Omit<CallRequest, 'token'>>;
  /** Status of the sample for an allowed caller. */
  okStatus: number;
  /** Cells that differ from the rule above, by role or extra caller, with the reason in a comment. */
  statusFor?: Partial<Record<Role | ExtraCaller, number>>;
}

const readerApi = async () => (await import('../../lambda/reader-api/handler')).handler as HttpHandler;
const ALL_ROLES: readonly Role[] = ['reader', 'adjudicator', 'coordinator', 'admin'];

/** A case the reader (only) is assigned to; returns the assignment's ref, the reader routes' path value. */
async function assignedCase(h: Harness, caseId = 'M1'): Promise<string> {
  await seedCase(h, caseId);
  return assign(h, caseId, h.users.reader);
}

export const ROUTES: RouteSpec[] = [
  {
    routeKey: 'GET /me',
    module: 'lambda/reader-api/handler',
    load: readerApi,
    roles: ALL_ROLES,
    caseScoped: false,
    arrange: async () => ({}),
    okStatus: 200,
  },
  {
    routeKey: 'GET /study',
    module: 'lambda/reader-api/handler',
    load: readerApi,
    roles: ALL_ROLES,
    caseScoped: false,
    arrange: async () => ({}),
    okStatus: 200,
  },
  {
    routeKey: 'GET /queue',
    module: 'lambda/reader-api/handler',
    load: readerApi,
    roles: ['reader'],
    caseScoped: false,
    arrange: async () => ({ query: { limit: '10' } }),
    okStatus: 200,
  },
  {
    routeKey: 'POST /queue/next',
    module: 'lambda/reader-api/handler',
    load: readerApi,
    roles: ['reader'],
    caseScoped: false,
    arrange: async (h) => {
      await seedCase(h, 'N1');
      return {};
    },
    okStatus: 200,
    // No site, no new case: an administrator must set custom:site first (403 site_missing).
    statusFor: { 'reader without a site': 403 },
  },
  {
    routeKey: 'POST /assignments/{ref}/session',
    module: 'lambda/reader-api/handler',
    load: readerApi,
    roles: ['reader'],
    caseScoped: true,
    arrange: async (h) => ({ pathParameters: { ref: await assignedCase(h) } }),
    okStatus: 201,
  },
  {
    routeKey: 'GET /assignments/{ref}/read',
    module: 'lambda/reader-api/handler',
    load: readerApi,
    roles: ['reader'],
    caseScoped: true,
    arrange: async (h) => ({ pathParameters: { ref: await assignedCase(h) } }),
    okStatus: 200,
  },
  {
    routeKey: 'PUT /assignments/{ref}/read',
    module: 'lambda/reader-api/handler',
    load: readerApi,
    roles: ['reader'],
    caseScoped: true,
    arrange: async (h) => ({
      pathParameters: { ref: await assignedCase(h) },
      headers: { 'Idempotency-Key': 'matrix-1' },
      body: { answers: validAnswers(), submit: true },
    }),
    okStatus: 201,
  },
];

// ---------------------------------------------------------------------------------------------
// Adjudication and coordinator routes. A discordant case read by two users who are none of the
// matrix's callers, so the adjudicator has no conflict of interest with it.

const adjudicationApi = async () => (await import('../../lambda/adjudication-api/handler')).handler as HttpHandler;
const coordinatorApi = async () => (await import('../../lambda/coordinator-api/handler')).handler as HttpHandler;

async function discordantCase(h: Harness, caseId = 'ADJ1'): Promise<string> {
  const { seedReadCase } = await import('../helpers/reading-seed');
  const { grade } = await import('../helpers/grades');
  await seedReadCase(h, caseId, [
    { readerId: 'matrix-reader-x', answers: grade({ OD: { icdrLevel: 'mild_npdr' } }) },
    { readerId: 'matrix-reader-y', answers: grade({ OD: { icdrLevel: 'severe_npdr' } }) },
  ]);
  return caseId;
}

ROUTES.push(
  {
    routeKey: 'GET /adjudications',
    module: 'lambda/adjudication-api/handler',
    load: adjudicationApi,
    roles: ['adjudicator'],
    caseScoped: false,
    arrange: async (h) => {
      await discordantCase(h);
      return { query: { limit: '10' } };
    },
    okStatus: 200,
  },
  {
    routeKey: 'GET /adjudications/{caseId}',
    module: 'lambda/adjudication-api/handler',
    load: adjudicationApi,
    roles: ['adjudicator'],
    caseScoped: false,
    arrange: async (h) => ({ pathParameters: { caseId: await discordantCase(h) } }),
    okStatus: 200,
  },
  {
    // The images of an open task's case (no conflict of interest with the matrix's adjudicator).
    routeKey: 'POST /adjudications/{caseId}/session',
    module: 'lambda/adjudication-api/handler',
    load: adjudicationApi,
    roles: ['adjudicator'],
    caseScoped: false,
    arrange: async (h) => ({ pathParameters: { caseId: await discordantCase(h) } }),
    okStatus: 201,
  },
  {
    routeKey: 'PUT /adjudications/{caseId}',
    module: 'lambda/adjudication-api/handler',
    load: adjudicationApi,
    roles: ['adjudicator'],
    caseScoped: false,
    arrange: async (h) => ({
      pathParameters: { caseId: await discordantCase(h) },
      headers: { 'Idempotency-Key': 'matrix-adjudication-1' },
      body: { picks: { eyes: { OD: { icdrLevel: 'A' } } }, reasonCode: 'read_a_correct' },
    }),
    okStatus: 200,
  },
  {
    routeKey: 'POST /assignments',
    module: 'lambda/coordinator-api/handler',
    load: coordinatorApi,
    roles: ['coordinator', 'admin'],
    caseScoped: false,
    arrange: async (h) => {
      await seedCase(h, 'AS1');
      for (const readerId of ['matrix-reader-x', 'matrix-reader-y']) await h.store.ensureReader({ readerId, at: '2026-01-01T00:00:00.000Z' });
      return { body: { hiddenRepeats: false } };
    },
    okStatus: 200,
  },
  {
    // A coordinator withdraws the reader's assignment (named by its ref; not caseScoped: readers get 403).
    routeKey: 'POST /assignments/{ref}/withdraw',
    module: 'lambda/coordinator-api/handler',
    load: coordinatorApi,
    roles: ['coordinator', 'admin'],
    caseScoped: false,
    arrange: async (h) => ({
      pathParameters: { ref: await assignedCase(h, 'WD1') },
      headers: { 'Idempotency-Key': 'matrix-withdraw-1' },
      body: { reason: 'workload' },
    }),
    okStatus: 200,
  },
  {
    routeKey: 'GET /progress',
    module: 'lambda/coordinator-api/handler',
    load: coordinatorApi,
    roles: ['coordinator', 'admin'],
    caseScoped: false,
    arrange: async () => ({}),
    okStatus: 200,
  },
  {
    routeKey: 'GET /audit',
    module: 'lambda/coordinator-api/handler',
    load: coordinatorApi,
    roles: ['coordinator', 'admin'],
    caseScoped: false,
    arrange: async () => ({ query: { day: '2026-01-01' } }),
    okStatus: 200,
  },
  {
    routeKey: 'POST /exports',
    module: 'lambda/coordinator-api/handler',
    load: coordinatorApi,
    roles: ['coordinator', 'admin'],
    caseScoped: false,
    arrange: async (h) => {
      await discordantCase(h);
      return { body: { formats: ['csv'] } };
    },
    okStatus: 202,
  },
  {
    routeKey: 'GET /exports/{exportId}',
    module: 'lambda/coordinator-api/handler',
    load: coordinatorApi,
    roles: ['coordinator', 'admin'],
    caseScoped: false,
    arrange: async (h) => {
      const { auditEvent } = await import('../../lambda/store/audit');
      const exportId = 'ex-20260101T000000Z-matrix01';
      const at = '2026-01-01T00:00:00.000Z';
      const audit = (action: AuditAction) => auditEvent({ at, actor: 'matrix', action, detail: { exportId } });
      await h.store.createExportJob({ exportId, requestedBy: 'matrix', createdAt: at, formats: ['csv'] }, audit('export_requested'));
      await h.store.takeExportJob(exportId, { at, until: '2026-01-01T00:15:00.000Z' });
      const files = [{ name: 'grades.csv', key: `exports/${exportId}/grades.csv`, bytes: 1, contentType: 'text/csv' }];
      await h.store.finishExportJob(exportId, 1, { status: 'complete', files, counts: { cases: 0, rows: 0, reads: 0 }, at }, audit('export_completed'));
      return { pathParameters: { exportId } };
    },
    okStatus: 200,
  },
);
