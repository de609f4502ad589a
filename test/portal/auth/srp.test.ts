import { createHash, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { cognitoTimestamp, g, modPow, multiplier, N, padHex, passwordAuthenticationKey, passwordVerifier, startSrp, type SrpSession } from '../../../portal/auth/srp';

describe('padHex (Java BigInteger.toByteArray in hex)', () => {
  it.each([
    [20n, '14'],
    [56n, '38'],
    [200n, '00c8'],
    [236n, '00ec'],
    [0x1234n, '1234'],
    [0xabcn, '0abc'],
    [0x8000n, '008000'],
  ])('%s → %s', (n, hex) => expect(padHex(n)).toBe(hex));
});

describe('the group', () => {
  it('is the RFC 3526 3072-bit safe prime with g = 2', () => {
    expect(N.toString(2)).toHaveLength(3072);
    // RFC 3526: the top and bottom 64 bits are all ones; N and (N-1)/2 are prime (Fermat, two bases).
    expect(N >> 3008n).toBe((1n << 64n) - 1n);
    expect(N & ((1n << 64n) - 1n)).toBe((1n << 64n) - 1n);
    for (const base of [2n, 3n]) {
      expect(modPow(base, N - 1n, N)).toBe(1n);
      const q = (N - 1n) / 2n;
      expect(modPow(base, q - 1n, q)).toBe(1n);
    }
    expect(g).toBe(2n);
  });

  it("has Cognito's multiplier k = H(pad(N) | pad(g))", async () => {
    expect((await multiplier()).toString(16)).toBe('538282c4354742d7cbbde2359fcf67f9f5b3a6b08791e5011b43b8a5b66d9ee6');
  });
});

describe('cognitoTimestamp', () => {
  it('formats "ddd MMM D HH:mm:ss UTC YYYY" in UTC, the day of month unpadded', () => {
    expect(cognitoTimestamp(new Date(Date.UTC(2018, 8, 25, 0, 9, 40)))).toBe('Tue Sep 25 00:09:40 UTC 2018');
    expect(cognitoTimestamp(new Date(Date.UTC(2024, 0, 5, 3, 4, 5)))).toBe('Fri Jan 5 03:04:05 UTC 2024');
    expect(cognitoTimestamp(new Date('2026-12-31T23:59:59+09:00'))).toBe('Thu Dec 31 14:59:59 UTC 2026');
  });
});

/** A session with a = bytes 1..128, as in the Python reference below. */
function fixedSession(): SrpSession {
  return startSrp((n) => Uint8Array.from({ length: n }, (_, i) => i + 1));
}

describe('passwordVerifier', () => {
  it('matches an independent implementation (Python hashlib/hmac/pow, the formulas of warrant) on a fixed vector', async () => {
    // Computed once with the script in this test's history: a = bytes 1..128, B and salt below.
    const session = fixedSession();
    expect(session.srpA.slice(0, 32)).toBe('ce00119aff3d209146734fd8a5754ea0');
    const out = await passwordVerifier({
      session,
      poolId: 'ap-northeast-2_AbCdEf123',
      password: 'Correct-Horse-9',
      challenge: { SRP_B: 'a1b2c3d4e5f60718293a4b5c6d7e8f90'.repeat(8), SALT: 'fe11e2d3c4b5a697', SECRET_BLOCK: 'c2VjcmV0LWJsb2NrLWJ5dGVzLTAxMjM0NTY3ODk=', USER_ID_FOR_SRP: '3f1c6f2e-8d4b-4a4e-9b1a-5d2c7e9f0a11' },
      now: new Date(Date.UTC(2018, 8, 25, 0, 9, 40)),
    });
    expect(out).toEqual({
      PASSWORD_CLAIM_SIGNATURE: '5xcPyys08Df+bluIKVdNruoroFgo+a//OJDSj1ApfaU=',
      PASSWORD_CLAIM_SECRET_BLOCK: 'c2VjcmV0LWJsb2NrLWJ5dGVzLTAxMjM0NTY3ODk=',
      TIMESTAMP: 'Tue Sep 25 00:09:40 UTC 2018',
    });
  });

  /**
   * An SRP-6a server written here with node:crypto: it stores only the verifier v = g^x, answers
   * B = k·v + g^b, and computes S = (A·v^u)^b — the server's side of the equation, not the
   * client's. The client's signature verifies only if both sides derive the same key.
   */
  function server(poolId: string, userId: string, password: string) {
    const sha = (b: Buffer) => createHash('sha256').update(b).digest();
    const hx = (n: bigint) => Buffer.from(padHex(n), 'hex');
    const poolName = poolId.split('_')[1];
    const salt = BigInt(`0x${randomBytes(16).toString('hex')}`);
    const inner = sha(Buffer.from(`${poolName}${userId}:${password}`)).toString('hex');
    const x = BigInt(`0x${sha(Buffer.concat([hx(salt), Buffer.from(inner, 'hex')])).toString('hex')}`);
    const v = modPow(g, x, N);
    const b = BigInt(`0x${randomBytes(128).toString('hex')}`) % N;
    const k = BigInt(`0x${sha(Buffer.concat([hx(N), hx(g)])).toString('hex')}`);
    const B = (k * v + modPow(g, b, N)) % N;
    const secretBlock = randomBytes(64).toString('base64');
    return {
      challenge: { SRP_B: B.toString(16), SALT: salt.toString(16), SECRET_BLOCK: secretBlock, USER_ID_FOR_SRP: userId },
      verify(srpA: string, signature: string, timestamp: string): boolean {
        const A = BigInt(`0x${srpA}`);
        const u = BigInt(`0x${sha(Buffer.concat([hx(A), hx(B)])).toString('hex')}`);
        const S = modPow(A * modPow(v, u, N), b, N);
        const key = Buffer.from(hkdfSync('sha256', hx(S), hx(u), Buffer.from('Caldera Derived Key'), 16));
        const expected = createHmac('sha256', key).update(Buffer.concat([Buffer.from(poolName), Buffer.from(userId), Buffer.from(secretBlock, 'base64'), Buffer.from(timestamp)])).digest('base64');
        return expected === signature;
      },
    };
  }

  it('is accepted by an SRP-6a server holding only the password verifier, and refused for a wrong password', async () => {
    const poolId = 'ap-northeast-2_Zx9Yw8';
    const userId = 'a7b2c1d0-0000-4000-8000-123456789abc';
    const srv = server(poolId, userId, 'Right-Password-1');
    for (const [password, accepted] of [['Right-Password-1', true], ['Wrong-Password-1', false]] as const) {
      const session = startSrp();
      const out = await passwordVerifier({ session, poolId, password, challenge: srv.challenge });
      expect(srv.verify(session.srpA, out.PASSWORD_CLAIM_SIGNATURE, out.TIMESTAMP)).toBe(accepted);
    }
  });

  it('refuses a server value B that is 0 mod N', async () => {
    const args = { session: fixedSession(), poolId: 'r_x', userIdForSrp: 'u', password: 'p', salt: '01' };
    await expect(passwordAuthenticationKey({ ...args, srpB: N.toString(16) })).rejects.toThrow('B = 0 mod N');
    await expect(passwordAuthenticationKey({ ...args, srpB: '0' })).rejects.toThrow('B = 0 mod N');
  });
});
