/**
 * Idempotent writes, one helper and one vocabulary for every write route that takes an
 * `Idempotency-Key` (today `PUT /assignments/{ref}/read` and `PUT /adjudications/{caseId}`):
 *
 *  - the **key**: the client's `Idempotency-Key` header, one namespace per person (`keyOf`);
 *  - the **fingerprint**: what makes "the same request": the route, the ids and preconditions it
 *    acts on and the body, as canonical JSON (object keys sorted at every level, so a retry that
 *    reorders keys is still the same request), SHA-256;
 *  - the **result**: what the use case answered the first time (a domain value, not an HTTP
 *    response). It is stored in the same transaction as the write (`idempotencyRecord`), so a retry
 *    finds either nothing (the write did not happen) or the exact result (it did), and `replay`
 *    gives it back; the handler answers it as it answered the first time, with
 *    `Idempotent-Replayed: true`. A key already used for another fingerprint is a 422.
 *
 * A retry sent while the first request is still in flight can find nothing yet, then find the
 * state moved or lose the write to it: before refusing (412, 428, 409), the use case looks for the
 * stored result once more and answers with it when the winner was its twin (`replayOrRethrow`).
 */
import { createHash } from 'node:crypto';
import type { IdempotencyRecord, ReadingStore } from '../store';
import { IDEMPOTENCY_TTL_SECONDS } from '../store/idempotency';
import { AppError, IdempotencyKeyReusedError, ValidationError } from './errors';

/** What clients generate (UUIDs, ULIDs, or any 1–128 characters of this set). */
export const IDEMPOTENCY_KEY = /^[A-Za-z0-9._:-]{1,128}$/;

/** The `Idempotency-Key` header, checked the same way on every route; undefined when absent. */
export function idempotencyKeyOf(raw: string | undefined): string | undefined {
  if (raw !== undefined && !IDEMPOTENCY_KEY.test(raw)) {
    throw new ValidationError('Idempotency-Key', 'format', 'Idempotency-Key: must be 1–128 characters of letters, digits, . _ : -');
  }
  return raw;
}

/** One request that carries a key: who sent it, the key, and its fingerprint. */
export interface IdempotentRequest {
  actor: string;
  key: string;
  fingerprint: string;
}

/** A use case's answer, and whether it is the stored answer of an earlier identical request. */
export interface Replayable<T> {
  result: T;
  replayed: boolean;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const canonical = (v: unknown): unknown =>
  Array.isArray(v) ? v.map(canonical) : isObject(v) ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical(v[k])])) : v;

/** The fingerprint of a request: its route key and the parts that make it (ids, preconditions, body). */
export function fingerprint(route: string, parts: readonly unknown[]): string {
  return createHash('sha256').update(JSON.stringify([route, ...parts.map(canonical)])).digest('hex');
}

/** The request's idempotency identity, or undefined when it carries no key (the key already checked by `idempotencyKeyOf`). */
export function idempotentRequest(actor: string, key: string | undefined, route: string, parts: readonly unknown[]): IdempotentRequest | undefined {
  return key === undefined ? undefined : { actor, key, fingerprint: fingerprint(route, parts) };
}

/**
 * The stored result of an earlier request with this key, or undefined (no key, or nothing stored:
 * the write has not happened). A key stored with another fingerprint is a 422: the client reused it
 * for a different change.
 */
export async function replay<T>(store: Pick<ReadingStore, 'getIdempotency'>, req: IdempotentRequest | undefined): Promise<T | undefined> {
  return req ? storedResult<T>(await store.getIdempotency(req.actor, req.key), req) : undefined;
}

/**
 * For a use case refused after its replay check found nothing (412, 428, 409: the state moved, or
 * its write lost): a twin of the request (the same key, a client's retry while the first was in
 * flight) may be what moved it. Answers as that request did, or throws the refusal.
 */
export async function replayOrRethrow<T>(store: Pick<ReadingStore, 'getIdempotency'>, req: IdempotentRequest | undefined, refusal: unknown): Promise<Replayable<T>> {
  const stored = refusal instanceof AppError ? await replay<T>(store, req) : undefined;
  if (stored === undefined) throw refusal;
  return { result: stored, replayed: true };
}

/** `replay` on a record already read (for a use case that reads it in parallel with other items and checks access first). */
export function storedResult<T>(stored: IdempotencyRecord | undefined, req: IdempotentRequest | undefined): T | undefined {
  if (!req || !stored) return undefined;
  if (stored.fingerprint !== req.fingerprint) throw new IdempotencyKeyReusedError();
  return stored.result as T;
}

/** The record to write in the same transaction as the change it deduplicates (kept 24 h). */
export function idempotencyRecord(req: IdempotentRequest, result: unknown, at: string): IdempotencyRecord {
  return { actor: req.actor, key: req.key, fingerprint: req.fingerprint, result, createdAt: at, ttl: Math.floor(Date.parse(at) / 1000) + IDEMPOTENCY_TTL_SECONDS };
}

/** The response header that marks a replayed answer. */
export const replayHeaders = (r: Replayable<unknown>): Record<string, string> => (r.replayed ? { 'idempotent-replayed': 'true' } : {});
