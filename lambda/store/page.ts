/**
 * Opaque pagination cursors over DynamoDB's LastEvaluatedKey.
 *
 * A cursor is base64url JSON of the last key. It is opaque to clients but not secret: on the way
 * back in it is checked to be a key of the same partition (and index) the server is about to
 * query, so a cursor edited to point at another reader's queue, or any garbage, is a 400 naming
 * `cursor` and never reaches DynamoDB (where a foreign ExclusiveStartKey would be a 500).
 */
import { ValidationError } from '../runtime/errors';

export interface Page<T> {
  items: T[];
  /** Present when there may be more: pass it back as `cursor` to get the next page. */
  cursor?: string;
}

export interface CursorScope {
  /** The index queried (`gsi1`, `gsi2`), or undefined for the table itself. */
  index?: 'gsi1' | 'gsi2';
  /** The partition key value the query uses (`QUEUE#<reader>`, `ADJ#open`, `CASE#<id>` …). */
  partition: string;
  /**
   * Keep only the index key in the cursor, not the table key (`pk`/`sk`) DynamoDB returns with it:
   * for lists whose table key says more than the caller may know (a reader's queue: `CASE#<id>`).
   * The query must then rebuild the table key before using the cursor (see assignments.ts).
   */
  indexKeyOnly?: boolean;
}

type Key = Record<string, string>;

const MAX_CURSOR_CHARS = 2048;

function attributesOf(scope: CursorScope): { partition: string; names: string[] } {
  if (!scope.index) return { partition: 'pk', names: ['pk', 'sk'] };
  const indexKey = [`${scope.index}pk`, `${scope.index}sk`];
  return { partition: `${scope.index}pk`, names: scope.indexKeyOnly ? indexKey : ['pk', 'sk', ...indexKey] };
}

export const invalidCursor = () => new ValidationError('cursor', 'invalid', 'cursor: is not a cursor this list returned; start again without it');

export function encodeCursor(lastKey: Record<string, unknown> | undefined, scope: CursorScope): string | undefined {
  if (!lastKey) return undefined;
  const { names } = attributesOf(scope);
  const key: Key = {};
  for (const n of names) if (typeof lastKey[n] === 'string') key[n] = lastKey[n] as string;
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

/** The ExclusiveStartKey for `cursor`, or undefined when there is none; 400 when it is not ours. */
export function decodeCursor(cursor: string | undefined, scope: CursorScope): Key | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  const invalid = invalidCursor;
  if (cursor.length > MAX_CURSOR_CHARS || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw invalid();
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid();
  const { partition, names } = attributesOf(scope);
  const entries = Object.entries(value as Record<string, unknown>);
  const wellFormed =
    entries.length === names.length &&
    entries.every(([k, v]) => names.includes(k) && typeof v === 'string' && v.length > 0 && v.length <= 1024) &&
    (value as Key)[partition] === scope.partition;
  if (!wellFormed) throw invalid();
  return value as Key;
}

/** Parses a `limit` query value: an integer in [1, max], `fallback` when absent. */
export function parseLimit(raw: string | undefined, fallback: number, max: number): number {
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d{1,4}$/.test(raw) || Number(raw) < 1 || Number(raw) > max) {
    throw new ValidationError('limit', 'range', `limit: must be an integer from 1 to ${max}`);
  }
  return Number(raw);
}
