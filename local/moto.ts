/**
 * Starts moto in server mode on a free loopback port, for the local reading room and the tests
 * (test/helpers/moto.ts adds what only tests need: one shared moto per jest worker, its signing key).
 *
 * moto is a real HTTP emulator of the AWS APIs, so SDK clients run their real serializers,
 * signers and error parsing against it; they get its endpoint through configuration only.
 * Remember what moto 5.2 does not check (Cognito MFA set-up, presigned URL signatures, KMS key
 * existence): tests against it prove flows, not those guarantees.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

const HOST = '127.0.0.1';
const START_TIMEOUT_MS = 20_000;
/**
 * How long moto may take to exit after SIGTERM before SIGKILL. moto keeps everything in memory, so
 * a forced stop loses nothing; after the local room's seed its own exit took 4 s, which every
 * Ctrl-C of `npm start` waited for.
 */
const STOP_TIMEOUT_MS = 500;

export interface MotoServer {
  endpoint: string;
  port: number;
  stop(): Promise<void>;
}

/** What to run when moto is missing (README, prerequisites). */
export const MOTO_INSTALL = 'pip install "moto[server]==5.2.1"';

/**
 * Fails with the install command when python3 or its moto server is missing: otherwise every suite
 * that starts the emulator would fail on its own with `No module named 'moto'` and no hint.
 */
export function requireMoto(): void {
  const probe = spawnSync('python3', ['-c', 'import moto, moto.server'], { encoding: 'utf8' });
  if (probe.error) throw new Error(`The tests need python3 with the moto emulator, and python3 could not be run (${probe.error.message}). Install Python 3, then: ${MOTO_INSTALL}`);
  if (probe.status !== 0) throw new Error(`The tests need the moto emulator in server mode, and python3 cannot import it. Install it with: ${MOTO_INSTALL}\n${probe.stderr.trim().split('\n').at(-1)}`);
}

/** SDK v3 client options that point at moto. S3 needs path-style addressing on a bare host:port. */
export function awsClientConfig(endpoint: string) {
  return {
    endpoint,
    region: 'ap-northeast-2',
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    forcePathStyle: true,
  };
}

/** Wipes all of moto's state (every service, every region) without restarting it. */
export async function resetMoto(endpoint: string): Promise<void> {
  const res = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
  if (!res.ok) throw new Error(`moto reset failed: HTTP ${res.status} ${await res.text()}`);
}

/**
 * Starts moto's server on a free loopback port and waits until it answers. `server` is what python3
 * runs (moto's own module by default; the export benchmark passes bench/moto-indexed.py, which
 * takes the same arguments). `env` adds moto settings, e.g. MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP;
 * `startTimeoutMs` is how long it may take to answer (the local room allows more: a person waits).
 */
export async function startMoto(server: readonly string[] = ['-m', 'moto.server'], env: Record<string, string> = {}, startTimeoutMs = START_TIMEOUT_MS): Promise<MotoServer> {
  const port = await freePort();
  const endpoint = `http://${HOST}:${port}`;
  const child = spawn('python3', [...server, '-H', HOST, '-p', String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    // Keep moto from picking up real credentials or a proxy from the developer's shell.
    env: { ...process.env, ...env, AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', NO_PROXY: '*' },
  });
  // Werkzeug logs every request to stderr; keep only the tail for error messages.
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let spawnError: Error | undefined;
  child.once('error', (e) => (spawnError = e));

  const deadline = Date.now() + startTimeoutMs;
  for (;;) {
    if (spawnError) throw new Error(`could not start moto (python3 ${server.join(' ')}): ${spawnError.message}. Install Python 3, then: ${MOTO_INSTALL}`);
    if (child.exitCode !== null || child.signalCode !== null) {
      const missing = /No module named '?moto/.test(output) ? `moto is not installed for python3; install it with: ${MOTO_INSTALL}\n` : '';
      throw new Error(`${missing}moto exited with ${child.exitCode ?? child.signalCode} before it was ready:\n${output}`);
    }
    if (await answers(`${endpoint}/moto-api/`)) break;
    if (Date.now() > deadline) {
      await kill(child, exited);
      throw new Error(`moto did not answer on ${endpoint} within ${startTimeoutMs / 1000} s:\n${output}`);
    }
    await sleep(100);
  }

  return { endpoint, port, stop: () => kill(child, exited) };
}

/** Asks the OS for a free port by binding port 0, then releases it for moto to take. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, HOST, () => {
      const address = srv.address();
      srv.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

async function answers(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}

/** SIGTERM, then SIGKILL if moto has not exited in time; resolves once the process is gone. */
async function kill(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
