/**
 * The serial proxy in front of moto (local/serial-proxy.ts) passes messages on, not connections:
 * an upstream that closes its connection after each answer (plain moto's werkzeug does) does not
 * make the client open a new one per request, and a chunked request reaches it whole, framed by
 * its length.
 */
import { Agent, createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startSerialProxy, type SerialProxy } from '../../local/serial-proxy';
import { post } from '../helpers/http-post';

let upstream: Server;
let proxy: SerialProxy;
/** What the upstream received: each request's headers and body. */
const received: Array<{ headers: IncomingHttpHeaders; body: string }> = [];

beforeAll(async () => {
  upstream = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (d: string) => (body += d));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.writeHead(200, { connection: 'close', 'keep-alive': 'timeout=1', 'x-amz-request-id': `r${received.length}`, 'content-type': 'text/plain' });
      res.end(`echo ${body}`);
    });
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  proxy = await startSerialProxy(`http://127.0.0.1:${(upstream.address() as AddressInfo).port}`);
});
afterAll(async () => {
  await proxy?.close();
  await new Promise((resolve) => upstream?.close(resolve));
});

const send = (agent: Agent, body: string, framing: 'length' | 'chunked') => post(agent, `${proxy.endpoint}/x`, body, framing);

test("the client's connection outlives the upstream's, end-to-end headers pass and hop-by-hop ones do not", async () => {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const first = await send(agent, 'one', 'length');
    const second = await send(agent, 'two', 'chunked');
    expect([first.text, second.text]).toEqual(['echo one', 'echo two']);
    expect(second.reused).toBe(true);
    for (const r of [first, second]) {
      expect(r.headers['x-amz-request-id']).toMatch(/^r\d$/);
      expect(r.headers['keep-alive']).not.toBe('timeout=1');
      expect(r.headers.connection).not.toBe('close');
    }
    // The chunked body reached the upstream whole, framed by its length.
    expect(received.at(-1)).toMatchObject({ body: 'two', headers: { 'content-length': '3' } });
    expect(received.at(-1)!.headers['transfer-encoding']).toBeUndefined();
  } finally {
    agent.destroy();
  }
});

test("a throttled request never reaches the upstream; its caller gets S3's 503 SlowDown, and the next passes", async () => {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const before = received.length;
    proxy.faults.arm(1, 'throttle');
    const throttled = await send(agent, 'three', 'length');
    expect(proxy.faults.fired()).toBe(true);
    expect(throttled.status).toBe(503);
    expect(throttled.text).toMatch(/<Code>SlowDown<\/Code>/);
    expect(received.length).toBe(before);
    expect(proxy.faults.changes(proxy.faults.count() - 1)).toEqual([]);
    const next = await send(agent, 'four', 'length');
    expect([next.status, next.text, received.length]).toEqual([200, 'echo four', before + 1]);
  } finally {
    agent.destroy();
  }
});

test('with record: false (the local room) it passes requests on and counts them, but keeps no log that grows with every call', async () => {
  const quiet = await startSerialProxy(`http://127.0.0.1:${(upstream.address() as AddressInfo).port}`, { record: false });
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    for (const body of ['five', 'six']) expect((await post(agent, `${quiet.endpoint}/x`, body, 'length')).text).toBe(`echo ${body}`);
    expect(quiet.faults.count()).toBe(2);
    expect(() => quiet.faults.calls(0)).toThrow('serial proxy: started with record: false, so it keeps no log of calls');
    expect(() => quiet.faults.changes(0)).toThrow(/record: false/);
    // Faults still work by count.
    quiet.faults.arm(1, 'throttle');
    expect((await post(agent, `${quiet.endpoint}/x`, 'seven', 'length')).status).toBe(503);
    expect(quiet.faults.fired()).toBe(true);
  } finally {
    agent.destroy();
    await quiet.close();
  }
});
