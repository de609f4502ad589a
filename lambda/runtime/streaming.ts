/**
 * Streaming sessions: an AppStream streaming URL for one person and one case, and the session record
 * `GET /fleet/case-files` trusts. One use case for both doors into the images: a reader opening the
 * case of their assignment (reader function, `POST /assignments/{ref}/session`) and an adjudicator
 * opening the case of an open task (adjudication function, `POST /adjudications/{caseId}/session`).
 * Same environment, same record, same audit event.
 *
 * The session id is a bearer secret: it goes into the streaming URL (AppStream's SessionContext) and
 * nowhere else; the record's key, the `session_issued` audit event and the log carry its SHA-256.
 * The AppStream UserId is `appStreamUserId(sub)` (./appstream-user.ts).
 */
import { randomBytes } from 'node:crypto';
import { CreateStreamingURLCommand } from '@aws-sdk/client-appstream';
import * as z from 'zod';
import type { ReadingStore } from '../store';
import { auditEvent } from '../store/audit';
import { sessionHash, type SessionRecord } from '../store/sessions';
import { appStreamUserId } from './appstream-user';
import { appStreamClient } from './clients/appstream';
import { AppError } from './errors';
import { log } from './log';

/** The environment every function that issues sessions declares (spread into its env.ts schema). */
export const STREAMING_ENV = {
  APPSTREAM_STACK_NAME: z.string().min(1),
  FLEET_NAME: z.string().min(1),
  /** Lifetime of a streaming URL (study config `streamingUrlValiditySeconds`, at most 300: the URL is a bearer credential). */
  STREAMING_URL_VALIDITY_SECONDS: z.coerce.number().int().min(1).max(300).default(60),
  /** The fleet's MaxUserDurationInSeconds: how long a session id stays usable after its URL is issued. */
  SESSION_MAX_SECONDS: z.coerce.number().int().min(600).max(360_000).default(14_400),
  /** Optional AppStream ApplicationId so the URL skips the catalogue and opens the viewer. */
  APPSTREAM_APPLICATION_ID: z.string().min(1).max(128).optional(),
  /**
   * AppStream custom streaming domain (study `portal.domain.streamingName`): a subdomain of the
   * portal's, proxied by CloudFront to AppStream. Issued URLs are rewritten to it so the session's
   * cookies are first-party where browsers block third-party ones (README, "Custom streaming domain").
   */
  APPSTREAM_STREAMING_DOMAIN: z
    .string()
    .regex(/^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, 'must be a lowercase host name')
    .optional(),
};
const StreamingEnvSchema = z.object(STREAMING_ENV);
export type StreamingEnv = z.output<typeof StreamingEnvSchema>;

export interface StreamingUrlIssuer {
  /** A streaming URL for this AppStream user, with `sessionContext` as the URL's SessionContext. */
  issue(input: { userId: string; sessionContext: string; validitySeconds: number }): Promise<{ url: string; expiresAt: Date }>;
}

export interface SessionDeps {
  store: Pick<ReadingStore, 'recordSession'>;
  streaming: StreamingUrlIssuer;
  streamingUrlValiditySeconds: number;
  sessionMaxSeconds: number;
  now: () => Date;
  /** Random opaque id (session ids). */
  newId: () => string;
}

/** Which case a session opens and why: a read (its assignment's readNo and ref) or an adjudication (readNo 0, the adjudicator's site). */
export type SessionTarget = Pick<SessionRecord, 'caseId' | 'readNo' | 'ref' | 'site'> & { purpose: NonNullable<SessionRecord['purpose']> };

export interface IssuedSession {
  streamingUrl: string;
  /** ISO time the URL stops working (the session itself lasts up to the fleet's maximum). */
  expiresAt: string;
}

/** Issues a streaming URL for `sub` on `target`'s case and records the session (with its audit event). */
export async function issueSession(deps: SessionDeps, sub: string, target: SessionTarget): Promise<IssuedSession> {
  const { caseId } = target;
  const userId = appStreamUserId(sub);
  const sessionId = deps.newId();
  const { url, expiresAt } = await deps.streaming.issue({ userId, sessionContext: sessionId, validitySeconds: deps.streamingUrlValiditySeconds });
  const now = deps.now();
  // From here on only the hash: the id itself goes to AppStream (in the URL) and nowhere else.
  const hash = sessionHash(sessionId);
  const session: SessionRecord = {
    sessionHash: hash,
    readerId: sub,
    appStreamUserId: userId,
    ...target,
    createdAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + (deps.streamingUrlValiditySeconds + deps.sessionMaxSeconds) * 1000).toISOString(),
  };
  await deps.store.recordSession(session, auditEvent({ at: session.createdAt, actor: sub, action: 'session_issued', caseId, sessionHash: hash, detail: { purpose: target.purpose } }));
  log.info('session issued', { caseId, sessionHash: hash, purpose: target.purpose });
  return { streamingUrl: url, expiresAt: expiresAt.toISOString() };
}

/** A fresh session id: 16 random bytes, base64url (22 characters; case-files checks the shape). */
export const newSessionId = () => randomBytes(16).toString('base64url');

/** The session settings of a parsed environment. */
export const sessionSettings = (env: StreamingEnv) => ({ streamingUrlValiditySeconds: env.STREAMING_URL_VALIDITY_SECONDS, sessionMaxSeconds: env.SESSION_MAX_SECONDS });

/** AppStream's own streaming host, `appstream2.<region>.aws.amazon.com` (CreateStreamingURL's answer). */
const APPSTREAM_HOST = /^appstream2\.[a-z]{2}(-gov)?-[a-z]+-\d\.aws\.amazon\.com$/;

/**
 * A streaming URL on the custom streaming domain: AWS's documented form is the same URL with
 * `appstream2.<region>.aws.amazon.com` replaced by the domain (path and query kept). Any other host
 * (the local stand-in) is left as it is: only AppStream's own host is proxied.
 */
export function onStreamingDomain(streamingUrl: string, domain: string | undefined): string {
  if (!domain) return streamingUrl;
  const url = new URL(streamingUrl);
  if (url.protocol !== 'https:' || !APPSTREAM_HOST.test(url.hostname)) return streamingUrl;
  url.hostname = domain;
  return url.toString();
}

/** CreateStreamingURL on the study's stack and fleet (on the custom streaming domain when there is one). */
export function appStreamIssuer(env: Pick<StreamingEnv, 'APPSTREAM_STACK_NAME' | 'FLEET_NAME' | 'APPSTREAM_APPLICATION_ID' | 'APPSTREAM_STREAMING_DOMAIN'>): StreamingUrlIssuer {
  return {
    async issue({ userId, sessionContext, validitySeconds }) {
      try {
        const out = await appStreamClient().send(
          new CreateStreamingURLCommand({
            StackName: env.APPSTREAM_STACK_NAME,
            FleetName: env.FLEET_NAME,
            UserId: userId,
            Validity: validitySeconds,
            SessionContext: sessionContext,
            ApplicationId: env.APPSTREAM_APPLICATION_ID,
          }),
        );
        return { url: onStreamingDomain(out.StreamingURL!, env.APPSTREAM_STREAMING_DOMAIN), expiresAt: out.Expires ?? new Date(Date.now() + validitySeconds * 1000) };
      } catch (e) {
        // A stopped or scaling fleet is not the caller's mistake, and not a crash either.
        if ((e as Error).name === 'ResourceNotAvailableException' || (e as Error).name === 'OperationNotPermittedException') {
          throw new AppError(503, 'streaming_unavailable', 'The reading room is not streaming right now (outside the reading hours or starting up); try again later.');
        }
        throw e;
      }
    },
  };
}
