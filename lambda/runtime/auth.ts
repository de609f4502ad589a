import { adjudicatorRefusal, CONFLICT_MESSAGES, type AdjudicatorIdentity, type CaseConflict } from '../../domain/assignment/access';
import { normaliseSite, siteProblemMessage, type SiteProblem } from '../../domain/site';
import { ForbiddenError, UnauthorizedError } from './errors';

export const ROLES = ['reader', 'adjudicator', 'coordinator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** The signed-in person, from claims that API Gateway's JWT authorizer has already verified. */
export interface Principal {
  /** Cognito `sub`: the stable reader id everywhere in ReadRoom. */
  readonly sub: string;
  readonly email?: string;
  /**
   * `custom:site` (set by an administrator; the portal client cannot write it), normalised
   * (domain/site.ts). Absent when the claim is missing or malformed: `siteProblem` says which.
   */
  readonly site?: string;
  readonly siteProblem?: SiteProblem;
  readonly roles: ReadonlySet<Role>;
}

/**
 * Builds the principal from verified JWT claims. `cognito:groups` arrives as an array in the token
 * and as a bracketed, space-separated string in API Gateway's claim map; both are accepted.
 *
 * Only ID tokens are accepted (API Gateway's JWT authorizer lets access tokens of the same client
 * through too): the person's e-mail and site, which the same-site rule depends on, are in the ID
 * token only, and an access token would silently switch that rule off.
 */
export function principalFromClaims(claims: Record<string, unknown> | undefined): Principal {
  const sub = claims?.sub;
  if (typeof sub !== 'string' || sub.length === 0) throw new UnauthorizedError();
  if (claims?.token_use !== undefined && claims.token_use !== 'id') throw new UnauthorizedError('Send the ID token of your sign-in (the portal does); access tokens are not accepted.');
  const site = normaliseSite(claims?.['custom:site']);
  const raw = claims?.['cognito:groups'];
  const groups = Array.isArray(raw) ? raw.map(String) : typeof raw === 'string' ? raw.replace(/^\[|\]$/g, '').split(/[\s,]+/).filter(Boolean) : [];
  const roles = new Set(groups.filter((g): g is Role => (ROLES as readonly string[]).includes(g)));
  return { sub, email: typeof claims?.email === 'string' ? claims.email : undefined, ...(site.ok ? { site: site.site } : { siteProblem: site.problem }), roles };
}

/**
 * The caller's site, or 403 `site_missing` / `site_invalid`: the same-site rule fails closed, so a
 * person whose `custom:site` is missing or malformed takes no case and adjudicates none until an
 * administrator sets it.
 */
export function requireSite(p: Principal): string {
  if (p.site) return p.site;
  const problem = p.siteProblem ?? 'missing';
  throw new ForbiddenError(siteProblemMessage(problem), problem === 'missing' ? 'site_missing' : 'site_invalid');
}

/** Throws 403 unless the principal has one of the roles. */
export function requireRole(p: Principal, ...allowed: Role[]): void {
  if (!allowed.some((r) => p.roles.has(r))) {
    throw new ForbiddenError(`This needs one of the roles ${allowed.join(', ')}; ask the study coordinator to add you to the group.`);
  }
}

/**
 * The caller as an adjudicator, or the 403 that says why not (`dual_role`, `site_missing`,
 * `site_invalid`): the rule is domain/assignment/access.ts `adjudicatorRefusal`.
 */
export function requireAdjudicator(p: Principal): AdjudicatorIdentity {
  const refusal = adjudicatorRefusal(p);
  if (refusal) throw new ForbiddenError(refusal.message, refusal.code);
  return { sub: p.sub, site: p.site };
}

/** The 403 of a conflict of interest, saying which. */
export function conflictError(conflict: CaseConflict): ForbiddenError {
  return new ForbiddenError(CONFLICT_MESSAGES[conflict], 'conflict_of_interest');
}
