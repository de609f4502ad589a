/** The harness's JWT check behaves like API Gateway's authorizer (the matrix depends on it). */
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { startHarness, type Harness } from '../helpers/api-harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
}, 60_000);
afterAll(() => h?.stop(), 60_000); // moto can take seconds to exit after a heavy suite

const echo = async (event: any) => ({ statusCode: 200, body: JSON.stringify({ claims: event.requestContext.authorizer.jwt.claims, routeKey: event.routeKey, path: event.rawPath }) });

test('a pool token reaches the handler with API Gateway-shaped claims', async () => {
  const res = await h.call(echo, { routeKey: 'PUT /assignments/{ref}/read', pathParameters: { ref: 'C1' }, token: h.users.reader.token });
  expect(res.status).toBe(200);
  expect(res.json.claims.sub).toBe(h.users.reader.sub);
  expect(res.json.claims['cognito:groups']).toBe('[reader]');
  expect(res.json.claims.iss).toBe(h.pool.issuer);
  expect(res.json.path).toBe('/assignments/C1/read');
});

test('access tokens are accepted too (client_id is the audience)', async () => {
  expect((await h.call(echo, { routeKey: 'GET /me', token: h.users.admin.accessToken })).status).toBe(200);
});

test.each([
  ['no token', () => undefined],
  ['expired', () => h.expiredToken()],
  ["another pool's token", () => h.foreignToken()],
  ['tampered signature', () => h.tamper()],
  ['garbage', () => 'not.a.jwt'],
])('%s → 401 without invoking the handler', async (_name, token) => {
  const res = await h.call(echo, { routeKey: 'GET /me', token: token() });
  expect(res).toMatchObject({ status: 401, invoked: false });
});

test('the expired token is otherwise valid (only exp differs)', async () => {
  const claims = JSON.parse(Buffer.from(h.expiredToken().split('.')[1], 'base64url').toString());
  expect(claims.sub).toBe(h.users.reader.sub);
  expect(claims.exp).toBeLessThan(Date.now() / 1000);
});

test('re-signing with moto\'s key is accepted, so the expired case fails on exp alone', async () => {
  expect((await h.call(echo, { routeKey: 'GET /me', token: h.resign(h.users.reader.token, () => undefined) })).status).toBe(200);
  expect((await h.call(echo, { routeKey: 'GET /me', token: h.resign(h.users.reader.token, (c) => (c.token_use = 'refresh')) })).status).toBe(401);
  expect((await h.call(echo, { routeKey: 'GET /me', token: h.resign(h.users.reader.token, (c) => (c.aud = 'another-client')) })).status).toBe(401);
});

test('the proxy lists the state-changing calls the emulator accepted, and only those ("a refusal writes nothing" rests on it)', async () => {
  const from = h.faults.count();
  const Item = { pk: 'HARNESS#changes', sk: 'X' };
  await h.ddb.send(new GetCommand({ TableName: h.tableName, Key: Item }));
  await h.ddb.send(new PutCommand({ TableName: h.tableName, Item }));
  await expect(h.ddb.send(new PutCommand({ TableName: h.tableName, Item, ConditionExpression: 'attribute_not_exists(pk)' }))).rejects.toThrow();
  await h.snapshotTable();
  await h.putObject('harness/changes.txt', 'x');
  expect(h.faults.calls(from)).toEqual(['GetItem', 'PutItem', 'PutItem', 'Scan', 'PUT /readroom-test-scans/harness/changes.txt']);
  expect(h.faults.changes(from)).toEqual(['PutItem', 'PUT /readroom-test-scans/harness/changes.txt']);
  await h.clearTable();
});
