/**
 * The AppStream stand-in, driven by the real @aws-sdk/client-appstream: if the stand-in drifted
 * from the wire protocol (target prefix, JSON 1.1 framing, timestamp encoding, error shape), these
 * tests would fail in the SDK, not in an assertion we wrote to match ourselves.
 */
import {
  AppStreamClient,
  AppStreamServiceException,
  CreateStreamingURLCommand,
  type CreateStreamingURLCommandInput,
  DescribeFleetsCommand,
  DescribeSessionsCommand,
  DescribeStacksCommand,
  ExpireSessionCommand,
  InvalidParameterCombinationException,
  ResourceNotAvailableException,
  ResourceNotFoundException,
} from '@aws-sdk/client-appstream';
import { type AppStreamStandIn, startAppStreamStandIn } from '../../local/appstream/standin';

const STACK = 'readroom-demo-stack';
const FLEET = 'readroom-demo-fleet';
const base = { StackName: STACK, FleetName: FLEET, UserId: 'reader-01' };

let clock = Date.UTC(2030, 0, 1, 9, 0, 0);
let standIn: AppStreamStandIn;
let client: AppStreamClient;

beforeAll(async () => {
  standIn = await startAppStreamStandIn({
    now: () => clock,
    fleets: [
      { name: FLEET, stackName: STACK, eniPrivateIp: '10.20.1.37', instanceType: 'stream.standard.large' },
      { name: 'stopped-fleet', stackName: STACK, state: 'STOPPED' },
      { name: 'other-fleet', stackName: 'other-stack' },
    ],
  });
  client = new AppStreamClient({
    endpoint: standIn.endpoint,
    region: 'ap-northeast-2',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    maxAttempts: 1,
  });
});

afterAll(async () => {
  client.destroy();
  await standIn.close();
});

afterEach(async () => {
  for (const s of standIn.sessions()) await client.send(new ExpireSessionCommand({ SessionId: s.Id }));
});

const createUrl = (input: Partial<CreateStreamingURLCommandInput>) =>
  client.send(new CreateStreamingURLCommand({ ...base, ...input } as CreateStreamingURLCommandInput));

async function rejection(p: Promise<unknown>): Promise<AppStreamServiceException> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof AppStreamServiceException)) throw new Error(`expected an AppStream error, got ${String(err)}`);
  return err;
}

describe('CreateStreamingURL happy path', () => {
  test('issues a URL that opens an ACTIVE session visible in DescribeSessions with the ENI IP and context', async () => {
    const out = await createUrl({ Validity: 300, SessionContext: 'case=C-0042' });

    expect(out.Expires).toBeInstanceOf(Date);
    expect(out.Expires!.getTime()).toBe(clock + 300_000);
    expect(out.StreamingURL).toMatch(new RegExp(`^${standIn.endpoint}/streaming/[\\w-]+\\?context=case%3DC-0042$`));

    const page = await fetch(out.StreamingURL!);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('reader-01');
    expect(html).toContain('case=C-0042');

    const { Sessions } = await client.send(
      new DescribeSessionsCommand({ StackName: STACK, FleetName: FLEET, UserId: 'reader-01', AuthenticationType: 'API' }),
    );
    expect(Sessions).toHaveLength(1);
    const s = Sessions![0];
    expect(s).toMatchObject({
      UserId: 'reader-01',
      StackName: STACK,
      FleetName: FLEET,
      State: 'ACTIVE',
      ConnectionState: 'CONNECTED',
      AuthenticationType: 'API',
      NetworkAccessConfiguration: { EniPrivateIpAddress: '10.20.1.37' },
    });
    expect(s.NetworkAccessConfiguration!.EniId).toMatch(/^eni-[0-9a-f]{17}$/);
    expect(s.StartTime).toEqual(new Date(clock));
    expect(html).toContain(s.Id!);
    expect(standIn.sessions()[0].SessionContext).toBe('case=C-0042');
    expect(standIn.urls().at(-1)!.opens).toHaveLength(1);
  });

  test('Validity defaults to 60 s', async () => {
    const out = await createUrl({});
    expect(out.Expires!.getTime()).toBe(clock + 60_000);
  });

  test('accepts the boundary values: UserId of 2 and 32 chars, Validity 1 and 604800, allowed symbols', async () => {
    await expect(createUrl({ UserId: 'ab' })).resolves.toHaveProperty('StreamingURL');
    await expect(createUrl({ UserId: 'a'.repeat(32) })).resolves.toHaveProperty('StreamingURL');
    await expect(createUrl({ UserId: 'r_1+=,.@-x' })).resolves.toHaveProperty('StreamingURL');
    await expect(createUrl({ Validity: 1 })).resolves.toHaveProperty('StreamingURL');
    const week = await createUrl({ Validity: 604_800 });
    expect(week.Expires!.getTime()).toBe(clock + 604_800_000);
    await expect(createUrl({ SessionContext: 'x'.repeat(1000) })).resolves.toHaveProperty('StreamingURL');
  });

  test('one session per user, stack and fleet: a second URL reuses it and the latest context wins', async () => {
    const first = await createUrl({ SessionContext: 'case=A' });
    const second = await createUrl({ SessionContext: 'case=B' });
    await (await fetch(first.StreamingURL!)).text();
    await (await fetch(second.StreamingURL!)).text();
    expect(standIn.sessions()).toHaveLength(1);
    expect(standIn.sessions()[0].SessionContext).toBe('case=B');
  });

  test('the context comes from the URL as opened, so an edited URL changes it (AppStream does not validate it)', async () => {
    const out = await createUrl({ SessionContext: 'case=A' });
    await (await fetch(out.StreamingURL!.replace('case%3DA', 'case%3DSOMEONE-ELSES'))).text();
    expect(standIn.sessions()[0].SessionContext).toBe('case=SOMEONE-ELSES');
    expect(standIn.urls().at(-1)!.SessionContext).toBe('case=A');
  });

  test('uses the viewer renderer when one is given', async () => {
    const other = await startAppStreamStandIn({
      fleets: [{ name: FLEET, stackName: STACK }],
      viewer: (s) => `<p>viewer for ${s.UserId} at ${s.NetworkAccessConfiguration.EniPrivateIpAddress}</p>`,
    });
    const c = new AppStreamClient({ endpoint: other.endpoint, region: 'ap-northeast-2', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    try {
      const out = await c.send(new CreateStreamingURLCommand(base));
      expect(await (await fetch(out.StreamingURL!)).text()).toBe('<p>viewer for reader-01 at 127.0.0.1</p>');
    } finally {
      c.destroy();
      await other.close();
    }
  });
});

describe('CreateStreamingURL limits', () => {
  // Model constraints come back as ValidationException, which AppStream's SDK does not model:
  // it arrives as AppStreamServiceException with name 'ValidationException'.
  test.each([
    ['1 char', 'a', /length greater than or equal to 2/],
    ['33 chars', 'a'.repeat(33), /length less than or equal to 32/],
    ['a space', 'reader 01', /regular expression pattern/],
    ['a slash', 'reader/01', /regular expression pattern/],
    ['non-ASCII', '판독자01', /regular expression pattern/],
  ])('UserId with %s is rejected', async (_label, userId, constraint) => {
    const err = await rejection(createUrl({ UserId: userId }));
    expect(err.name).toBe('ValidationException');
    expect(err.$metadata.httpStatusCode).toBe(400);
    expect(err.message).toMatch(/at 'userId'/);
    expect(err.message).toMatch(constraint);
  });

  test.each([
    ['StackName', { StackName: undefined }],
    ['FleetName', { FleetName: undefined }],
    ['UserId', { UserId: undefined }],
  ])('missing %s is rejected', async (field, input) => {
    const err = await rejection(createUrl(input));
    expect(err.name).toBe('ValidationException');
    expect(err.message).toContain(`Value null at '${field[0].toLowerCase()}${field.slice(1)}'`);
  });

  test('several violations are reported together, as AWS does', async () => {
    const err = await rejection(client.send(new CreateStreamingURLCommand({ UserId: 'a' } as CreateStreamingURLCommandInput)));
    expect(err.message).toMatch(/^3 validation errors detected: /);
  });

  test.each([0, 604_801, -5])('Validity %p is rejected', async (validity) => {
    const err = await rejection(createUrl({ Validity: validity }));
    expect(err).toBeInstanceOf(InvalidParameterCombinationException);
    expect(err.message).toMatch(/Validity must be between 1 and 604800/);
  });

  test('a non-integer Validity is rejected rather than truncated', async () => {
    const err = await rejection(createUrl({ Validity: 1.5 }));
    expect(err.name).toBe('SerializationException');
    expect(err.message).toMatch(/Validity/);
  });

  test('SessionContext over 1000 chars is rejected, and an empty one too', async () => {
    const long = await rejection(createUrl({ SessionContext: 'x'.repeat(1001) }));
    expect(long).toBeInstanceOf(InvalidParameterCombinationException);
    expect(long.message).toMatch(/SessionContext must be at most 1000/);
    const empty = await rejection(createUrl({ SessionContext: '' }));
    expect(empty.name).toBe('ValidationException');
    expect(empty.message).toMatch(/at 'sessionContext'/);
  });

  test('unknown stack and unknown fleet are ResourceNotFoundException naming them', async () => {
    const stack = await rejection(createUrl({ StackName: 'no-such-stack' }));
    expect(stack).toBeInstanceOf(ResourceNotFoundException);
    expect(stack.message).toMatch(/stack no-such-stack/);
    const fleet = await rejection(createUrl({ FleetName: 'no-such-fleet' }));
    expect(fleet).toBeInstanceOf(ResourceNotFoundException);
    expect(fleet.message).toMatch(/fleet no-such-fleet/);
  });

  test('a fleet that is not associated with the stack is rejected', async () => {
    const err = await rejection(createUrl({ FleetName: 'other-fleet' }));
    expect(err).toBeInstanceOf(InvalidParameterCombinationException);
    expect(err.message).toMatch(/other-fleet is not associated with the stack/);
  });

  test('a stopped fleet is ResourceNotAvailableException', async () => {
    const err = await rejection(createUrl({ FleetName: 'stopped-fleet' }));
    expect(err).toBeInstanceOf(ResourceNotAvailableException);
    expect(err.message).toMatch(/stopped-fleet is not in RUNNING state/);
  });

  test('no URL is recorded for a rejected request', async () => {
    const before = standIn.urls().length;
    await rejection(createUrl({ UserId: 'x' }));
    expect(standIn.urls()).toHaveLength(before);
  });
});

describe('streaming URL lifetime', () => {
  test('an expired URL answers 403 and creates no session', async () => {
    const out = await createUrl({ Validity: 1 });
    clock += 1_000;
    const res = await fetch(out.StreamingURL!);
    expect(res.status).toBe(403);
    expect(await res.text()).toMatch(/expired/);
    expect(standIn.sessions()).toHaveLength(0);
  });

  test('a URL is reusable until it expires, and every open is recorded', async () => {
    const out = await createUrl({ Validity: 10 });
    expect((await fetch(out.StreamingURL!)).status).toBe(200);
    clock += 9_999;
    expect((await fetch(out.StreamingURL!)).status).toBe(200);
    const issued = standIn.urls().find((u) => u.url === out.StreamingURL)!;
    expect(issued.opens).toHaveLength(2);
    expect(issued.opens[0].sessionId).toBe(issued.opens[1].sessionId);
  });

  test('an unknown token answers 403', async () => {
    const res = await fetch(`${standIn.endpoint}/streaming/not-a-token`);
    expect(res.status).toBe(403);
  });
});

describe('DescribeSessions, ExpireSession', () => {
  test('ExpireSession removes the session', async () => {
    const out = await createUrl({});
    await (await fetch(out.StreamingURL!)).text();
    const [session] = (await client.send(new DescribeSessionsCommand({ StackName: STACK, FleetName: FLEET }))).Sessions!;
    expect(session).toBeDefined();
    await client.send(new ExpireSessionCommand({ SessionId: session.Id }));
    const after = await client.send(new DescribeSessionsCommand({ StackName: STACK, FleetName: FLEET }));
    expect(after.Sessions).toEqual([]);
  });

  test('filters by user and pages with Limit/NextToken', async () => {
    for (const user of ['reader-a', 'reader-b', 'reader-c']) {
      await (await fetch((await createUrl({ UserId: user })).StreamingURL!)).text();
    }
    const page1 = await client.send(new DescribeSessionsCommand({ StackName: STACK, FleetName: FLEET, Limit: 2 }));
    expect(page1.Sessions).toHaveLength(2);
    expect(page1.NextToken).toBeDefined();
    const page2 = await client.send(
      new DescribeSessionsCommand({ StackName: STACK, FleetName: FLEET, Limit: 2, NextToken: page1.NextToken }),
    );
    expect(page2.Sessions!.map((s) => s.UserId)).toEqual(['reader-c']);
    expect(page2.NextToken).toBeUndefined();
    const one = await client.send(
      new DescribeSessionsCommand({ StackName: STACK, FleetName: FLEET, UserId: 'reader-b', AuthenticationType: 'API' }),
    );
    expect(one.Sessions!.map((s) => s.UserId)).toEqual(['reader-b']);
    const saml = await client.send(
      new DescribeSessionsCommand({ StackName: STACK, FleetName: FLEET, UserId: 'reader-b', AuthenticationType: 'SAML' }),
    );
    expect(saml.Sessions).toEqual([]);
  });

  test('UserId without AuthenticationType, and Limit over 50, are rejected', async () => {
    const noAuth = await rejection(client.send(new DescribeSessionsCommand({ StackName: STACK, FleetName: FLEET, UserId: 'reader-b' })));
    expect(noAuth).toBeInstanceOf(InvalidParameterCombinationException);
    expect(noAuth.message).toMatch(/AuthenticationType/);
    const big = await rejection(client.send(new DescribeSessionsCommand({ StackName: STACK, FleetName: FLEET, Limit: 51 })));
    expect(big).toBeInstanceOf(InvalidParameterCombinationException);
    expect(big.message).toMatch(/Limit/);
  });

  test('StackName and FleetName are required', async () => {
    const err = await rejection(client.send(new DescribeSessionsCommand({} as never)));
    expect(err.name).toBe('ValidationException');
    expect(err.message).toMatch(/'stackName'.*'fleetName'/);
  });
});

describe('DescribeFleets, DescribeStacks', () => {
  test('describe all fleets with realistic shapes and capacity in use', async () => {
    await (await fetch((await createUrl({})).StreamingURL!)).text();
    const { Fleets } = await client.send(new DescribeFleetsCommand({}));
    expect(Fleets!.map((f) => f.Name).sort()).toEqual(['other-fleet', FLEET, 'stopped-fleet'].sort());
    const demo = Fleets!.find((f) => f.Name === FLEET)!;
    expect(demo).toMatchObject({
      Arn: `arn:aws:appstream:ap-northeast-2:123456789012:fleet/${FLEET}`,
      State: 'RUNNING',
      InstanceType: 'stream.standard.large',
      ComputeCapacityStatus: { InUse: 1 },
    });
    expect(demo.CreatedTime).toBeInstanceOf(Date);
    expect(Fleets!.find((f) => f.Name === 'stopped-fleet')).toMatchObject({ State: 'STOPPED', ComputeCapacityStatus: { Running: 0 } });
  });

  test('unknown fleet or stack names are ResourceNotFoundException', async () => {
    await expect(client.send(new DescribeFleetsCommand({ Names: ['nope'] }))).rejects.toBeInstanceOf(ResourceNotFoundException);
    await expect(client.send(new DescribeStacksCommand({ Names: ['nope'] }))).rejects.toBeInstanceOf(ResourceNotFoundException);
  });

  test('describe stacks, all or by name', async () => {
    const all = await client.send(new DescribeStacksCommand({}));
    expect(all.Stacks!.map((s) => s.Name).sort()).toEqual(['other-stack', STACK].sort());
    const one = await client.send(new DescribeStacksCommand({ Names: [STACK] }));
    expect(one.Stacks).toEqual([expect.objectContaining({ Name: STACK, Arn: `arn:aws:appstream:ap-northeast-2:123456789012:stack/${STACK}` })]);
  });
});

describe('protocol', () => {
  const post = (headers: Record<string, string>, body: string) =>
    fetch(`${standIn.endpoint}/`, { method: 'POST', headers: { 'Content-Type': 'application/x-amz-json-1.1', ...headers }, body });

  test('an operation the stand-in does not implement is rejected, naming it', async () => {
    const res = await post({ 'X-Amz-Target': 'PhotonAdminProxyService.CreateFleet' }, '{}');
    expect(res.status).toBe(400);
    expect(res.headers.get('x-amzn-errortype')).toBe('UnknownOperationException');
    const body = (await res.json()) as { __type: string; message: string };
    expect(body.__type).toBe('UnknownOperationException');
    expect(body.message).toContain('PhotonAdminProxyService.CreateFleet');
  });

  test('a wrong target prefix is rejected too', async () => {
    const res = await post({ 'X-Amz-Target': 'AppStream.CreateStreamingURL' }, '{}');
    expect(res.status).toBe(400);
    expect(((await res.json()) as { __type: string }).__type).toBe('UnknownOperationException');
  });

  test('malformed JSON is a SerializationException', async () => {
    const res = await post({ 'X-Amz-Target': 'PhotonAdminProxyService.DescribeFleets' }, '{"Names": [');
    expect(res.status).toBe(400);
    expect(((await res.json()) as { __type: string }).__type).toBe('SerializationException');
  });

  test('the wire uses epoch seconds for Expires', async () => {
    const res = await post({ 'X-Amz-Target': 'PhotonAdminProxyService.CreateStreamingURL' }, JSON.stringify({ ...base, Validity: 120 }));
    expect(res.status).toBe(200);
    expect(((await res.json()) as { Expires: number }).Expires).toBe(clock / 1000 + 120);
  });
});

test('close() frees the port', async () => {
  const s = await startAppStreamStandIn({ fleets: [{ name: FLEET, stackName: STACK }] });
  expect((await fetch(`${s.endpoint}/streaming/x`)).status).toBe(403);
  await s.close();
  await expect(fetch(`${s.endpoint}/streaming/x`)).rejects.toThrow();
});

test('rejects a fleet declared twice at start-up', async () => {
  await expect(
    startAppStreamStandIn({ fleets: [{ name: FLEET, stackName: STACK }, { name: FLEET, stackName: STACK }] }),
  ).rejects.toThrow(/declared twice/);
});
