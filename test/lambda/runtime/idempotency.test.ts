/** The one idempotency helper every write route uses: fingerprints, replays and records. */
import { AppError } from '../../../lambda/runtime/errors';
import { fingerprint, idempotencyKeyOf, idempotencyRecord, idempotentRequest, replay, replayHeaders, storedResult } from '../../../lambda/runtime/idempotency';
import type { IdempotencyRecord } from '../../../lambda/store/idempotency';

const AT = '2026-01-01T00:00:00.000Z';

test('a fingerprint ignores object key order at every level, and nothing else', () => {
  const a = fingerprint('save read', ['ref1', 3, { answers: { eyes: { OD: { x: 1, y: [2, { b: 1, a: 2 }] } } }, submit: true }]);
  const b = fingerprint('save read', ['ref1', 3, { submit: true, answers: { eyes: { OD: { y: [2, { a: 2, b: 1 }], x: 1 } } } }]);
  expect(a).toBe(b);
  expect(fingerprint('save read', ['ref1', 4, { submit: true }])).not.toBe(fingerprint('save read', ['ref1', 3, { submit: true }]));
  // Array order is meaning (a multi-choice answer keeps form order), so it counts.
  expect(fingerprint('x', [[1, 2]])).not.toBe(fingerprint('x', [[2, 1]]));
  // The same parts on another route are another request.
  expect(fingerprint('resolve adjudication', ['C1', {}])).not.toBe(fingerprint('save read', ['C1', {}]));
});

test('no key, no request; a malformed key is a 400 naming the header', () => {
  expect(idempotentRequest('sub', undefined, 'r', [])).toBeUndefined();
  expect(() => idempotencyKeyOf('has space')).toThrow(expect.objectContaining({ status: 400, details: expect.objectContaining({ field: 'Idempotency-Key' }) }));
  expect(idempotencyKeyOf('0190f0c2-1b2c-7d3e-8f40-123456789abc')).toBe('0190f0c2-1b2c-7d3e-8f40-123456789abc');
});

test('replay: nothing stored is undefined; the stored result for the same fingerprint; 422 for another', async () => {
  const req = idempotentRequest('sub', 'k1', 'save read', ['ref1', null, { answers: {} }])!;
  const record = idempotencyRecord(req, { read: { version: 1 }, created: true }, AT);
  expect(record).toEqual({ actor: 'sub', key: 'k1', fingerprint: req.fingerprint, result: { read: { version: 1 }, created: true }, createdAt: AT, ttl: Date.parse(AT) / 1000 + 24 * 3600 });
  const store = (stored?: IdempotencyRecord) => ({ getIdempotency: async (actor: string, key: string) => (actor === 'sub' && key === 'k1' ? stored : undefined) });
  expect(await replay(store(), req)).toBeUndefined();
  expect(await replay(store(record), undefined)).toBeUndefined();
  expect(await replay(store(record), req)).toEqual({ read: { version: 1 }, created: true });
  const other = idempotentRequest('sub', 'k1', 'save read', ['ref1', null, { answers: { eyes: {} } }]);
  const e = await replay(store(record), other).catch((x: unknown) => x);
  expect(e).toBeInstanceOf(AppError);
  expect(e).toMatchObject({ status: 422, code: 'idempotency_key_reused' });
  expect(() => storedResult(record, other)).toThrow(AppError);
});

test('a replayed answer says so in its headers; a first answer does not', () => {
  expect(replayHeaders({ result: {}, replayed: true })).toEqual({ 'idempotent-replayed': 'true' });
  expect(replayHeaders({ result: {}, replayed: false })).toEqual({});
});
