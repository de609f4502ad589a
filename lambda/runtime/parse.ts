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

/** Query string parameters as a plain object (API Gateway omits the map when there are none). */
export function queryOf(event: { queryStringParameters?: Record<string, string | undefined> }): Record<string, string | undefined> {
  return { ...(event.queryStringParameters ?? {}) };
}
