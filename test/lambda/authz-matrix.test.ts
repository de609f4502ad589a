/**
 * Authorization matrix: every route in ./routes.ts × every kind of caller, with the expected
 * status in every cell. Tokens are real (moto's user pool) and checked as API Gateway's JWT
 * authorizer would, so the first four rows never reach a handler; the rest reach it with verified
 * claims and must be decided by its group and assignment checks. A refused call changes nothing.
 */
import { startHarness, type Harness, type TestUser } from '../helpers/api-harness';
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

test.each(cells)('%s as %s → %i', async (_key, caller, expected, route) => {
  await h.clearTable();
  const handler = await route.load();
  const request = await route.arrange(h);
  const before = await h.snapshotTable();
  const res = await h.call(handler, { ...request, routeKey: route.routeKey, token: tokenOf(caller) });
  expect({ status: res.status, error: res.status === expected ? undefined : res.json }).toEqual({ status: expected, error: undefined });
  if (expected === 401) expect(res.invoked).toBe(false);
  if (expected >= 400) expect(await h.snapshotTable()).toEqual(before);
});

test('every route in the table is unique', () => {
  expect(new Set(ROUTES.map((r) => r.routeKey)).size).toBe(ROUTES.length);
});
