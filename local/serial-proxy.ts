/**
 * A one-request-at-a-time HTTP proxy in front of moto.
 *
 * Why: moto's server is threaded but its models are not thread-safe. Seen with moto 5.2 under
 * concurrent clients: two TransactWriteItems interleave between their condition checks and their
 * writes (10 of 50 submits with the same `version = :expected` condition all "won"), and some
 * requests crash with an HTML 500. DynamoDB applies every request atomically, and ReadRoom's
 * invariants rest on that (conditional writes, transactions), so tests that fire many requests at
 * once go through this proxy: requests are forwarded strictly one after another, which is exactly
 * per-request atomicity, no more. (DynamoDB's TransactionConflict cancellations are therefore never
 * produced here; the cores' retry on them is covered by unit tests with fakes.)
 */
import { Agent, createServer, request, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SerialProxy {
  endpoint: string;
  /** Fault injection (test/lambda/faults.test.ts): count the calls, and break one of them. */
  faults: FaultInjector;
  close(): Promise<void>;
}

/**
 * `drop`: the request never reaches the emulator (the caller's connection is reset); `cut`: the
 * emulator applies it, then the caller's connection is reset before any of the response is sent
 * (what a Lambda sees when the network or its own timeout cuts a call whose write went through);
 * `throttle`: the request never reaches the emulator and the caller gets S3's 503 SlowDown, which
 * the SDK and the ingest retry. (Under jest a reset connection's error comes from Node's own realm;
 * the SDK's retry does not recognise it as an Error and wraps it into one it never retries.)
 */
export type FaultMode = 'drop' | 'cut' | 'throttle';
const SLOW_DOWN = '<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>';

export interface FaultInjector {
  /** Requests received so far (every AWS call through the proxy: DynamoDB, S3, Cognito). */
  count(): number;
  /** What each request since `from` (a `count()`) was: the X-Amz-Target operation, else `METHOD /path`. */
  calls(from: number): string[];
  /**
   * The requests since `from` that may change state (any operation but a read: see READ) and that
   * the emulator accepted (2xx). Every AWS call of the functions and the tests goes through this
   * proxy, so an empty list means nothing changed: a cheaper check than comparing table scans, and
   * a stronger one (it also sees a write that a later one undid, and S3 and Cognito).
   */
  changes(from: number): string[];
  /** Breaks the `nth` request from now (1 = the next one) in `mode`; one fault at a time. */
  arm(nth: number, mode: FaultMode): void;
  /** True once the armed fault has happened (and disarms it). */
  fired(): boolean;
  disarm(): void;
}

/** Headers about one connection, not the message (RFC 9110 §7.6.1): not passed on. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade']);
const endToEnd = (headers: IncomingHttpHeaders): IncomingHttpHeaders => Object.fromEntries(Object.entries(headers).filter(([name]) => !HOP_BY_HOP.has(name)));

/** Operations that only read: DynamoDB, Cognito and S3 (by method) reads; anything else may change state. */
const READ = /^(Get|BatchGet|Query|Scan|TransactGet|Describe|List|AdminGet|AdminList|(GET|HEAD) )/;

export interface SerialProxyOptions {
  /**
   * Keep a log of every request for `calls()` and `changes()`. The tests want it; the local room,
   * which may run all day and never asks, does not keep one (its memory would grow with every call).
   * @default true
   */
  readonly record?: boolean;
}

export async function startSerialProxy(target: string, { record = true }: SerialProxyOptions = {}): Promise<SerialProxy> {
  const upstream = new URL(target);
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  let queue: Promise<void> = Promise.resolve();

  const forward = (method: string, path: string, headers: IncomingHttpHeaders, body: Buffer) =>
    new Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
      const up = request({ host: upstream.hostname, port: upstream.port, method, path, headers: endToEnd(headers), agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 502, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      });
      up.on('error', reject);
      up.end(body);
    });

  let received = 0;
  const log: string[] = [];
  /** The emulator's status for each request, once answered (dropped ones stay empty). */
  const statuses: number[] = [];
  let armed: { at: number; mode: FaultMode } | undefined;
  let fired = false;
  const recorded = () => {
    if (!record) throw new Error('serial proxy: started with record: false, so it keeps no log of calls');
    return log;
  };
  const faults: FaultInjector = {
    count: () => received,
    calls: (from) => recorded().slice(from),
    changes: (from) => recorded().slice(from).filter((op, i) => !READ.test(op) && statuses[from + i] >= 200 && statuses[from + i] < 300),
    arm: (nth, mode) => {
      armed = { at: received + nth, mode };
      fired = false;
    },
    fired: () => fired,
    disarm: () => {
      armed = undefined;
    },
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const n = ++received;
      const target = req.headers['x-amz-target'];
      if (record) log.push(typeof target === 'string' ? (target.split('.').pop() ?? target) : `${req.method} ${(req.url ?? '/').split('?')[0]}`);
      const fault = armed && armed.at === n ? armed.mode : undefined;
      if (fault) {
        armed = undefined;
        fired = true;
      }
      queue = queue.then(async () => {
        try {
          if (fault === 'drop') return void res.socket?.destroy();
          if (fault === 'throttle') return void res.writeHead(503, { 'content-type': 'application/xml' }).end(SLOW_DOWN);
          const out = await forward(req.method ?? 'GET', req.url ?? '/', req.headers, Buffer.concat(chunks));
          if (record) statuses[n - 1] = out.status;
          if (fault === 'cut') return void res.socket?.destroy();
          res.writeHead(out.status, endToEnd(out.headers));
          res.end(out.body);
        } catch (e) {
          res.writeHead(502, { 'content-type': 'text/plain' });
          res.end(`serial proxy: ${(e as Error).message}`);
        }
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    faults,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
}
