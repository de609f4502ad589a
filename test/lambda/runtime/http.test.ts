/** The error boundary every HTTP handler goes through: what a client sees, what the log keeps. */
import { MAX_JSON_DEPTH, nestsDeeperThan, parseBody, router } from '../../../lambda/runtime/http';
import { ValidationError } from '../../../lambda/runtime/errors';

const event = (routeKey: string) =>
  ({ routeKey, requestContext: { requestId: 'req-1', authorizer: { jwt: { claims: { sub: 'u1', token_use: 'id' } } } }, headers: {} }) as never;

function captureErrors<T>(run: () => Promise<T>): Promise<{ result: T; lines: string[] }> {
  const lines: string[] = [];
  const spy = jest.spyOn(console, 'error').mockImplementation((line: string) => void lines.push(line));
  return run()
    .then((result) => ({ result, lines }))
    .finally(() => spy.mockRestore());
}

test('an unexpected error is a 500 with only the request id; the log has its class and place, never its message', async () => {
  const handler = router({
    'GET /x': async () => {
      throw new TypeError('answers {"icdrLevel":"severe"} of participant K-001');
    },
  });
  const { result, lines } = await captureErrors(() => handler(event('GET /x')));
  expect(result.statusCode).toBe(500);
  const body = JSON.parse(result.body as string);
  expect(body).toEqual({ error: { code: 'internal', message: expect.stringContaining('req-1') } });
  expect(result.body).not.toMatch(/icdrLevel|K-001|TypeError|at /);
  expect(lines).toHaveLength(1);
  const logged = JSON.parse(lines[0]);
  expect(logged).toMatchObject({ level: 'error', message: 'unexpected error', requestId: 'req-1', route: 'GET /x', error: 'TypeError' });
  expect(logged.at).toMatch(/http\.test\.ts/);
  expect(lines[0]).not.toMatch(/icdrLevel|K-001|severe/);
});

test('a client mistake is a 4xx naming the field, and is not logged as an error', async () => {
  const handler = router({
    'GET /x': async () => {
      throw new ValidationError('limit', 'range', 'limit: must be 1–100');
    },
  });
  const { result, lines } = await captureErrors(() => handler(event('GET /x')));
  expect(result.statusCode).toBe(400);
  expect(JSON.parse(result.body as string)).toEqual({ error: { code: 'validation_failed', message: 'limit: must be 1–100', field: 'limit', rule: 'range' } });
  expect(lines).toEqual([]);
});

describe('parseBody: nesting depth', () => {
  const nested = (levels: number) => `{"a":${'['.repeat(levels - 1)}${']'.repeat(levels - 1)}}`;
  const status = (body: string) => {
    try {
      parseBody({ body, isBase64Encoded: false });
      return 'ok';
    } catch (e) {
      return e instanceof ValidationError ? `${e.details.field} ${e.details.rule}` : String(e);
    }
  };

  test(`accepts ${MAX_JSON_DEPTH} levels, refuses ${MAX_JSON_DEPTH + 1} as a 400 naming body`, () => {
    expect(status(nested(MAX_JSON_DEPTH))).toBe('ok');
    expect(status(nested(MAX_JSON_DEPTH + 1))).toBe('body max_depth');
  });

  test('a 200 KB body of nested arrays is a 400, not a stack overflow', () => {
    expect(status(`{"answers":${'['.repeat(100_000)}${']'.repeat(100_000)}}`)).toBe('body max_depth');
  });

  test('brackets inside strings (also after escaped quotes) do not count', () => {
    expect(nestsDeeperThan(JSON.stringify({ t: '[[[[[[[[[[[[{{{{{{{{', u: 'a\\"[[[[[[[[[[[[' }), MAX_JSON_DEPTH)).toBe(false);
    expect(status(JSON.stringify({ comment: '['.repeat(500) }))).toBe('ok');
  });
});
