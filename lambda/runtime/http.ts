import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { AppError, ValidationError } from './errors';
import { log } from './log';
import { Principal, principalFromClaims } from './auth';
import { CASE_ID } from '../../domain/case';

export type HttpEvent = APIGatewayProxyEventV2WithJWTAuthorizer;
export type HttpResult = APIGatewayProxyStructuredResultV2;

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' };
/** Request bodies above this are refused before parsing (a read is a few kB). */
export const MAX_BODY_BYTES = 256 * 1024;

export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpResult {
  return { statusCode, headers: { ...JSON_HEADERS, ...headers }, body: JSON.stringify(body) };
}

/**
 * How deeply a body's arrays and objects may nest (the body object is level 1). The deepest
 * legitimate body, an adjudication's new multi-choice value, nests 7 levels
 * (body › picks › eyes › OD › question › value › list); anything deeper is refused before it is
 * parsed, hashed or canonicalised, each of which would otherwise recurse once per level.
 */
export const MAX_JSON_DEPTH = 8;

/** True when the JSON text nests arrays/objects deeper than `max` (brackets inside strings do not count). */
export function nestsDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

/** Parses a JSON object body; anything else is a 400 that names `body`. */
export function parseBody(event: Pick<HttpEvent, 'body' | 'isBase64Encoded'>): Record<string, unknown> {
  if (!event.body) throw new ValidationError('body', 'required', 'body: a JSON object is required');
  const text = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  if (Buffer.byteLength(text) > MAX_BODY_BYTES) throw new ValidationError('body', 'max_size', `body: must be at most ${MAX_BODY_BYTES} bytes`);
  if (nestsDeeperThan(text, MAX_JSON_DEPTH)) throw new ValidationError('body', 'max_depth', `body: arrays and objects must not nest more than ${MAX_JSON_DEPTH} levels deep`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ValidationError('body', 'json', 'body: must be valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ValidationError('body', 'object', 'body: must be a JSON object');
  return value as Record<string, unknown>;
}

/** POST routes that take no input accept no body, an empty one, or `{}`; anything else is a mistake worth reporting. */
export function expectNoBody(event: Pick<HttpEvent, 'body' | 'isBase64Encoded'>): void {
  if (event.body === undefined || event.body === null || event.body.trim() === '') return;
  const body = parseBody(event);
  const extra = Object.keys(body)[0];
  if (extra !== undefined) throw new ValidationError(extra.slice(0, 64), 'unknown', `${extra.slice(0, 64)}: this request takes no body`);
}

/** Case ids are opaque study pseudonyms (domain/case.ts). */
export { CASE_ID };

export function pathParam(event: Pick<HttpEvent, 'pathParameters'>, name: string, pattern = CASE_ID): string {
  const value = event.pathParameters?.[name];
  if (!value || !pattern.test(value)) throw new ValidationError(name, 'format', `${name}: must match ${pattern}`);
  return value;
}

export function header(event: Pick<HttpEvent, 'headers'>, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [k, v] of Object.entries(event.headers ?? {})) if (k.toLowerCase() === wanted) return v;
  return undefined;
}

export function principalOf(event: HttpEvent): Principal {
  return principalFromClaims(event.requestContext?.authorizer?.jwt?.claims as Record<string, unknown> | undefined);
}

/**
 * Runs a route and maps the outcome: AppError → its status and message; anything else → 500 with
 * a request id to quote, and the details only in the log.
 */
export async function respond(event: Pick<HttpEvent, 'requestContext' | 'routeKey'>, run: () => Promise<HttpResult>): Promise<HttpResult> {
  const requestId = event.requestContext?.requestId;
  try {
    return await run();
  } catch (e) {
    if (e instanceof AppError) {
      if (e.status >= 500) log.error('request failed', { requestId, route: event.routeKey, code: e.code });
      return json(e.status, { error: { code: e.code, message: e.message, ...e.details } });
    }
    // The class and where it was thrown, never the message: messages can carry data (answers, ids).
    const err = e as Error | undefined;
    log.error('unexpected error', { requestId, route: event.routeKey, error: err?.name, at: err?.stack?.split('\n').slice(1, 4).map((l) => l.trim()).join(' < ') });
    return json(500, { error: { code: 'internal', message: `Something went wrong on our side. Quote request id ${requestId} to the study team.` } });
  }
}

/** A router over `routeKey` ("METHOD /path/{param}") as API Gateway HTTP APIs deliver it. */
export function router(routes: Record<string, (event: HttpEvent) => Promise<HttpResult>>) {
  return (event: HttpEvent): Promise<HttpResult> =>
    respond(event, async () => {
      const route = routes[event.routeKey];
      if (!route) return json(404, { error: { code: 'no_route', message: `No route ${event.routeKey}` } });
      return route(event);
    });
}
