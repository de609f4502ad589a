/**
 * Authorization matrix: every route in ./routes.ts × every kind of caller, with the expected
 * status in every cell. Tokens are real (moto's user pool) and checked as API Gateway's JWT
 * authorizer would, so the first four rows never reach a handler; the rest reach it with verified
 * claims and must be decided by its group and assignment checks. A refused call changes nothing
 * (no state-changing AWS call succeeds during it).
 */
import { startHarness, type CallRequest, type Harness, type TestUser } from '../helpers/api-harness';
import { ROUTES, type ExtraCaller, type RouteSpec } from './routes';

const CALLERS = [
  'no token',
  'expired',
  "another pool's token",
  'tampered signature',
  'reader',
  'another reader',
  'reader without a site',
  'adjudicator',
  'adjudicator and coordinator',
  'coordinator',
  'admin',
] as const;
type Caller = (typeof CALLERS)[number];

let h: Harness;
let extra: Record<ExtraCaller, TestUser>;
beforeAll(async () => {
  h = await startHarness();
  extra = {
    'reader without a site': await h.createUser('matrix-siteless-reader', ['reader'], null),
    'adjudicator and coordinator': await h.createUser('matrix-dual-role', ['adjudicator', 'coordinator']),
  };
}, 60_000);
afterAll(() => h?.stop(), 60_000); // moto can take seconds to exit after a heavy suite

function tokenOf(caller: Caller): string | undefined {
  switch (caller) {
    case 'no token':
      return undefined;
    case 'expired':
      return h.expiredToken(h.users.reader.token);
    case "another pool's token":
      return h.foreignToken();
    case 'tampered signature':
      return h.tamper(h.users.reader.token);
    case 'another reader':
      return h.users.reader2.token;
    case 'reader without a site':
    case 'adjudicator and coordinator':
      return extra[caller].token;
    default:
      return h.users[caller].token;
  }
}

function expectedStatus(route: RouteSpec, caller: Caller): number {
  switch (caller) {
    case 'no token':
    case 'expired':
    case "another pool's token":
    case 'tampered signature':
      return 401;
    case 'another reader':
      // Another reader's assignment ref is a 404, exactly like an unknown one.
      return route.roles.includes('reader') ? (route.caseScoped ? 404 : route.okStatus) : 403;
    case 'reader without a site':
      // Another reader as far as assignments go; taking a new case needs a site.
      return route.statusFor?.[caller] ?? (route.roles.includes('reader') ? (route.caseScoped ? 404 : route.okStatus) : 403);
    case 'adjudicator and coordinator':
      // A coordinator in every respect, and refused every adjudication door (dual role).
      return route.statusFor?.[caller] ?? (route.roles.includes('coordinator') ? route.okStatus : 403);
    default:
      return route.statusFor?.[caller] ?? (route.roles.includes(caller) ? route.okStatus : 403);
  }
}

const cells = ROUTES.flatMap((route) => CALLERS.map((caller) => [route.routeKey, caller, expectedStatus(route, caller), route] as const));

/**
 * The route's arranged state, kept while nothing has changed it: the emulator accepted no
 * state-changing call since `arrange` returned (the proxy sees every AWS call), so the table is
 * exactly what a fresh `arrange` on an empty table left. A refused cell changes nothing, so the
 * next caller of the same route starts from the same state without clearing and arranging again.
 */
let arranged: { routeKey: string; request: Omit<CallRequest, 'token'>; at: number } | undefined;

async function arrangedState(route: RouteSpec): Promise<Omit<CallRequest, 'token'>> {
  if (arranged?.routeKey === route.routeKey && h.faults.changes(arranged.at).length === 0) return arranged.request;
  await h.clearTable();
  const request = await route.arrange(h);
  arranged = { routeKey: route.routeKey, request, at: h.faults.count() };
  return request;
}

test.each(cells)('%s as %s → %i', async (_key, caller, expected, route) => {
  const handler = await route.load();
  const request = await arrangedState(route);
  const from = h.faults.count();
  const res = await h.call(handler, { ...request, routeKey: route.routeKey, token: tokenOf(caller) });
  expect({ status: res.status, error: res.status === expected ? undefined : res.json }).toEqual({ status: expected, error: undefined });
  if (expected === 401) expect(res.invoked).toBe(false);
  // Nothing changed: no call the emulator accepted during the request wrote anything.
  if (expected >= 400) expect(h.faults.changes(from)).toEqual([]);
});

test('every route in the table is unique', () => {
  expect(new Set(ROUTES.map((r) => r.routeKey)).size).toBe(ROUTES.length);
});
