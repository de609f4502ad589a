/**
 * zod parsing for request bodies and query strings: the first issue becomes a 400 that names the
 * field (dotted path, or the unknown key itself) and the rule; all issues (at most 20) are listed.
 */
import type { z } from 'zod';
import { ValidationError } from './errors';

export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const errors = parsed.error.issues.slice(0, 20).map((i) => {
    // An unknown key is named itself, not its parent object.
    const segments = [...i.path.map(String), ...(i.code === 'unrecognized_keys' ? [i.keys[0]] : [])];
    const path = segments.join('.') || '$';
    return { path, rule: i.code, message: `${path}: ${i.message}` };
  });
  throw new ValidationError(errors[0].path, errors[0].rule, errors[0].message, errors);
}

/**
 * The `Idempotency-Key` header of a write, checked the same way on every route: what clients
 * generate (UUIDs, ULIDs, or any 1–128 characters of this set). Undefined when absent.
 */
export const IDEMPOTENCY_KEY = /^[A-Za-z0-9._:-]{1,128}$/;
export function idempotencyKeyOf(raw: string | undefined): string | undefined {
  if (raw !== undefined && !IDEMPOTENCY_KEY.test(raw)) {
    throw new ValidationError('Idempotency-Key', 'format', 'Idempotency-Key: must be 1–128 characters of letters, digits, . _ : -');
  }
  return raw;
}

/** Query string parameters as a plain object (API Gateway omits the map when there are none). */
export function queryOf(event: { queryStringParameters?: Record<string, string | undefined> }): Record<string, string | undefined> {
  return { ...(event.queryStringParameters ?? {}) };
}
