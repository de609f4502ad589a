/**
 * The AppStream UserId of a reader: stable, at most 32 characters of AppStream's set `[\w+=,.@-]`,
 * derived from the Cognito `sub` (never the e-mail, which can change and would identify the doctor
 * in AppStream's usage reports).
 *
 * Scheme: base64url(sha256("readroom/appstream-user/v1:" + sub)), first 32 characters. base64url's
 * alphabet (A–Z a–z 0–9 - _) lies inside AppStream's, so the id is valid as is; 32 characters carry
 * 192 bits. Stable because it is a pure function of the sub: the same doctor always streams as the
 * same AppStream user, so home-folder paths (keyed by the UserId) persist and the usage report's
 * per-user fee counts each doctor once (a per-session id would multiply billable users).
 *
 * Collisions: two readers collide only if their truncated hashes are equal. For n readers the
 * birthday bound gives p ≈ n² / 2^193: for the study's ~100 readers ≈ 10^-54, and even for 10^9
 * identities ≈ 10^-40. The prefix separates this use of the hash from any other, and the id reveals
 * nothing about the sub without the pool.
 */
import { createHash } from 'node:crypto';

export const APPSTREAM_USER_ID_LENGTH = 32;
export const APPSTREAM_USER_ID_PATTERN = /^[\w+=,.@-]{2,32}$/;

export function appStreamUserId(sub: string): string {
  return createHash('sha256').update(`readroom/appstream-user/v1:${sub}`, 'utf8').digest('base64url').slice(0, APPSTREAM_USER_ID_LENGTH);
}
