import { ForbiddenError, UnauthorizedError } from './errors';

export const ROLES = ['reader', 'adjudicator', 'coordinator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** The signed-in person, from claims that API Gateway's JWT authorizer has already verified. */
export interface Principal {
  /** Cognito `sub`: the stable reader id everywhere in ReadRoom. */
  readonly sub: string;
  readonly email?: string;
  readonly roles: ReadonlySet<Role>;
}

/**
 * Builds the principal from verified JWT claims. `cognito:groups` arrives as an array in the token
 * and as a bracketed, space-separated string in API Gateway's claim map; both are accepted.
 */
export function principalFromClaims(claims: Record<string, unknown> | undefined): Principal {
  const sub = claims?.sub;
  if (typeof sub !== 'string' || sub.length === 0) throw new UnauthorizedError();
  const raw = claims?.['cognito:groups'];
  const groups = Array.isArray(raw) ? raw.map(String) : typeof raw === 'string' ? raw.replace(/^\[|\]$/g, '').split(/[\s,]+/).filter(Boolean) : [];
  const roles = new Set(groups.filter((g): g is Role => (ROLES as readonly string[]).includes(g)));
  return { sub, email: typeof claims?.email === 'string' ? claims.email : undefined, roles };
}

/** Throws 403 unless the principal has one of the roles. */
export function requireRole(p: Principal, ...allowed: Role[]): void {
  if (!allowed.some((r) => p.roles.has(r))) {
    throw new ForbiddenError(`This needs one of the roles ${allowed.join(', ')}; ask the study coordinator to add you to the group.`);
  }
}
