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
  close(): Promise<void>;
}

export async function startSerialProxy(target: string): Promise<SerialProxy> {
  const upstream = new URL(target);
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  let queue: Promise<void> = Promise.resolve();

  const forward = (method: string, path: string, headers: IncomingHttpHeaders, body: Buffer) =>
    new Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
      const up = request({ host: upstream.hostname, port: upstream.port, method, path, headers, agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 502, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      });
      up.on('error', reject);
      up.end(body);
    });

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      queue = queue.then(async () => {
        try {
          const out = await forward(req.method ?? 'GET', req.url ?? '/', req.headers, Buffer.concat(chunks));
          res.writeHead(out.status, out.headers);
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
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
}
