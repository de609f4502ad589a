/**
 * FileBody, the PUT body that sends a file through a few buffers used again: whatever the pace of
 * the socket, the bytes that arrive are the file's (a buffer is never refilled before its bytes
 * were handed to the socket), through a real HTTP request as the SDK's handler sends it.
 */
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { BODY_CHUNK, FileBody } from '../../../cli/ingest/file-body';
import { tempDir } from '../fixtures';

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => (tmp = tempDir()));
afterEach(() => tmp.cleanup());

/** A file whose every chunk differs, so a chunk sent twice or refilled too early changes the digest. */
function writeFile(size: number): { file: string; sha256: string } {
  const bytes = Buffer.alloc(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 2654435761 + Math.floor(i / BODY_CHUNK)) >>> 11;
  const file = path.join(tmp.dir, 'volume.dcm');
  writeFileSync(file, bytes);
  return { file, sha256: createHash('sha256').update(bytes).digest('hex') };
}

/** A server that reads request bodies slowly (pausing between chunks), answering their SHA-256. */
async function slowServer(): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    const sha = createHash('sha256');
    req.on('data', (c: Buffer) => {
      sha.update(c);
      req.pause();
      setTimeout(() => req.resume(), 2);
    });
    req.on('end', () => res.end(sha.digest('hex')));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port };
}

function put(port: number, body: FileBody): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: 'PUT', headers: { 'content-length': body.size } }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c)).on('end', () => resolve(text));
    });
    req.on('error', reject);
    body.pipe(req);
  });
}

test('piped into a request read slowly, the bytes that arrive are the file, and progress counts each byte once', async () => {
  const size = 9 * BODY_CHUNK + 12_345; // more chunks than buffers, and a short last one
  const { file, sha256 } = writeFile(size);
  const { server, port } = await slowServer();
  try {
    let progressed = 0;
    const body = new FileBody(file, size, (n) => (progressed += n));
    expect(await put(port, body)).toBe(sha256);
    expect(progressed).toBe(size);
  } finally {
    server.close();
  }
});

test('read any other way (iteration), it is an ordinary stream of the same bytes', async () => {
  const size = 3 * BODY_CHUNK + 7;
  const { file, sha256 } = writeFile(size);
  const sha = createHash('sha256');
  for await (const chunk of new FileBody(file, size)) sha.update(chunk as Buffer);
  expect(sha.digest('hex')).toBe(sha256);
});

test('a file shorter than announced fails the request with what to do, instead of hanging', async () => {
  const { file } = writeFile(2 * BODY_CHUNK);
  const { server, port } = await slowServer();
  try {
    const body = new FileBody(file, 3 * BODY_CHUNK);
    const errors: Error[] = [];
    body.on('error', (e) => errors.push(e));
    await expect(put(port, body)).rejects.toThrow();
    expect(errors[0]?.message).toMatch(/volume\.dcm ended after 2097152 of 3145728 bytes: it changed during the run; run the command again/);
  } finally {
    server.close();
  }
});
