/**
 * Site codes (a hospital or region): a reader's Cognito `custom:site`, set by an administrator, and
 * a case manifest's `site`. Equal codes make a conflict of interest: nobody reads or adjudicates
 * their own site's participants. Every place that takes a code in (the token claim, the directory
 * read by bulk assignment, the manifest) normalises it here, so `snuh`, ` SNUH` and `SNUH` are one
 * site, and a code that is not a code is refused instead of silently switching the rule off.
 */

/** After normalising: ASCII letters (upper case), digits, `_` and `-`, 1–32 characters. */
export const SITE_PATTERN = /^[A-Z0-9][A-Z0-9_-]{0,31}$/;

// Checked before upper-casing: 'ß'.toUpperCase() is 'SS' and 'ı'.toUpperCase() is 'I', which would
// let a non-ASCII code through as an ASCII one.
const RAW_SITE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/;

export type SiteProblem = 'missing' | 'malformed';
export type SiteCheck = { ok: true; site: string } | { ok: false; problem: SiteProblem };

/** Trims, checks the pattern and upper-cases; absent or blank is `missing`, anything else off-pattern `malformed`. */
export function normaliseSite(raw: unknown): SiteCheck {
  if (raw === undefined || raw === null) return { ok: false, problem: 'missing' };
  if (typeof raw !== 'string') return { ok: false, problem: 'malformed' };
  const trimmed = raw.trim();
  if (trimmed === '') return { ok: false, problem: 'missing' };
  return RAW_SITE.test(trimmed) ? { ok: true, site: trimmed.toUpperCase() } : { ok: false, problem: 'malformed' };
}

/** What a reader or adjudicator is told when their account has no usable site code. */
export function siteProblemMessage(problem: SiteProblem): string {
  const what = problem === 'missing' ? 'has no site code' : 'has a site code that is not valid (letters, digits, _ or -, at most 32)';
  return `Your account ${what} (Cognito attribute custom:site), so the same-site rule cannot be applied to you. An administrator must set it before you can take or adjudicate cases.`;
}
