/**
 * moto for tests: local/moto.ts (start, reset, client config; shared with the local reading room)
 * plus what only tests need: one moto per jest worker for the whole run, and moto's signing key.
 */
import { execFile, execFileSync } from 'node:child_process';
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { join } from 'node:path';
import { resetMoto, startMoto, type MotoServer } from '../../local/moto';

export { awsClientConfig, freePort, MOTO_INSTALL, requireMoto, resetMoto, startMoto, type MotoServer } from '../../local/moto';

/**
 * moto as the tests run it: ./moto-server.py, moto's server with less CPU per request and the same
 * answers (its self-check runs in the suite: test/lambda/moto-server.test.ts).
 */
export const TEST_MOTO_SERVER = [join(__dirname, 'moto-server.py')] as const;
/**
 * How long a test moto may take to answer: its start is ~1.5 s of CPU, but the global setup starts
 * one per worker beside the key recovery (three Pythons at once), and on a 2-core machine shared
 * with other runs (load ≈ 20) one took 12.6 s alone and three missed local/moto.ts's 20 s.
 */
export const TEST_MOTO_START_TIMEOUT_MS = 60_000;
export const startTestMoto = (env?: Record<string, string>): Promise<MotoServer> => startMoto(TEST_MOTO_SERVER, env, TEST_MOTO_START_TIMEOUT_MS);

/**
 * moto settings that ./moto-server.py can change while it runs (moto reads the others from its
 * environment at start-up only): a test file that needs one of these runs on its worker's shared
 * moto instead of starting one of its own.
 */
export const RUNTIME_MOTO_SETTINGS = ['S3_UPLOAD_PART_MIN_SIZE', 'MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP'] as const;
export const settableAtRunTime = (settings: Record<string, string>): boolean => Object.keys(settings).every((k) => (RUNTIME_MOTO_SETTINGS as readonly string[]).includes(k));

/** Sets a test moto's run-time settings to `settings`, and every one not given back to its start-up value. */
export async function configureTestMoto(endpoint: string, settings: Record<string, string>): Promise<void> {
  const res = await fetch(`${endpoint}/moto-api/readroom/settings`, { method: 'POST', body: JSON.stringify(settings) });
  if (!res.ok) throw new Error(`moto settings ${JSON.stringify(settings)} refused: HTTP ${res.status} ${await res.text()}`);
}

/**
 * A moto for one test file, emptied and with `settings` (every other run-time setting back to its
 * default): the jest worker's shared one when the run has them (test/helpers/global-setup.ts) and
 * the settings can be changed while it runs, else one of the file's own. `stop()` stops the
 * file's own; the shared one is left for the worker's next file, which resets it again.
 */
export async function testMoto(settings: Record<string, string> = {}): Promise<MotoServer> {
  const shared = sharedMotoEndpoint();
  if (!shared || !settableAtRunTime(settings)) return startTestMoto(settings);
  await resetMoto(shared);
  await configureTestMoto(shared, settings);
  return { endpoint: shared, port: Number(new URL(shared).port), stop: async () => undefined };
}

/** Shared emulators of a jest run (test/helpers/global-setup.ts): one per worker, by JEST_WORKER_ID. */
const SHARED_ENDPOINTS = 'READROOM_TEST_MOTO_ENDPOINTS';
const SIGNING_KEY = 'READROOM_TEST_MOTO_SIGNING_KEY';

/** This jest worker's own moto, started once for the whole run, or undefined (outside jest, or a run without it). */
export function sharedMotoEndpoint(): string | undefined {
  const all = process.env[SHARED_ENDPOINTS]?.split(',') ?? [];
  const worker = Number(process.env.JEST_WORKER_ID ?? '1');
  return all[worker - 1];
}

/** Publishes the run's shared emulators and signing key to the test workers (they inherit the environment). */
export function publishShared(endpoints: readonly string[], signingKeyPem: string): void {
  process.env[SHARED_ENDPOINTS] = endpoints.join(',');
  process.env[SIGNING_KEY] = Buffer.from(signingKeyPem).toString('base64');
}

/**
 * moto signs every pool's tokens with one RSA key shipped in its package (n, e, d only); Python's
 * `cryptography` (a moto dependency) recovers the primes so Node can sign with it. Used only to mint
 * tokens that are correctly signed but expired, or re-signed with other claims.
 */
const RECOVER_KEY_PY = `
import base64, gzip, json, os
import moto.cognitoidp as c
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives import serialization
jwk = json.loads(gzip.open(os.path.join(os.path.dirname(c.__file__), 'resources', 'jwks-private.json.gz')).read())
b = lambda s: int.from_bytes(base64.urlsafe_b64decode(s + '=' * (-len(s) % 4)), 'big')
n, e, d = b(jwk['n']), b(jwk['e']), b(jwk['d'])
p, q = rsa.rsa_recover_prime_factors(n, e, d)
key = rsa.RSAPrivateNumbers(p, q, d, rsa.rsa_crt_dmp1(d, p), rsa.rsa_crt_dmq1(d, q), rsa.rsa_crt_iqmp(p, q), rsa.RSAPublicNumbers(e, n)).private_key()
print(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode())
`;

/** moto's token-signing key as PEM (recovered once per run by the global setup, else here). */
export function motoSigningKeyPem(): string {
  const shared = process.env[SIGNING_KEY];
  return shared ? Buffer.from(shared, 'base64').toString('utf8') : execFileSync('python3', ['-c', RECOVER_KEY_PY], { encoding: 'utf8' });
}

/** The same, recovered without blocking (the global setup starts the emulators meanwhile). */
export function recoverMotoSigningKeyPem(): Promise<string> {
  return new Promise((resolve, reject) => execFile('python3', ['-c', RECOVER_KEY_PY], { encoding: 'utf8' }, (e, out) => (e ? reject(e) : resolve(out))));
}

export const motoSigningKey = (): KeyObject => createPrivateKey(motoSigningKeyPem());

