import { base32Decode, base32Encode, hotp, secondsLeft, totp } from '../../../portal/auth/totp';
import { currentCode, freshCode, MOTO_TOTP_SECRET, totpLine } from '../../../local/totp';

const RFC_SECRET = Buffer.from('12345678901234567890'); // RFC 4226 appendix D / RFC 6238 appendix B (SHA-1)

describe('HOTP (RFC 4226 appendix D)', () => {
  it.each(['755224', '287082', '359152', '969429', '338314', '254676', '287922', '162583', '399871', '520489'].map((c, i) => [i, c]))('counter %i → %s', async (counter, code) => {
    expect(await hotp(new Uint8Array(RFC_SECRET), counter as number)).toBe(code);
  });
});

describe('TOTP (RFC 6238 appendix B, SHA-1)', () => {
  const secret = base32Encode(new Uint8Array(RFC_SECRET));
  it.each([
    [59, '94287082'],
    [1111111109, '07081804'],
    [1111111111, '14050471'],
    [1234567890, '89005924'],
    [2000000000, '69279037'],
    [20000000000, '65353130'],
  ])('at %i s: %s (8 digits), and its last 6 digits with the default 6', async (seconds, code) => {
    expect(await totp(secret, seconds * 1000, { digits: 8 })).toBe(code);
    expect(await totp(secret, seconds * 1000)).toBe(code.slice(2));
  });

  it('counts the seconds left in the 30 s step', () => {
    expect(secondsLeft(0)).toBe(30);
    expect(secondsLeft(59_000)).toBe(1);
    expect(secondsLeft(61_500)).toBe(29);
  });
});

describe('base32', () => {
  it('round-trips, ignores case, spaces and padding, and rejects other characters', () => {
    const bytes = Uint8Array.from({ length: 20 }, (_, i) => i * 13);
    const text = base32Encode(bytes);
    expect(base32Decode(text)).toEqual(bytes);
    expect(base32Decode(text.toLowerCase().replace(/(.{4})/g, '$1 '))).toEqual(bytes);
    expect(base32Encode(Buffer.from('foobar'))).toBe('MZXW6YTBOI'); // RFC 4648 section 10
    expect(base32Decode('MZXW6YTBOI======')).toEqual(new Uint8Array(Buffer.from('foobar')));
    expect(() => base32Decode('MZXW1')).toThrow("'1' is not a base32 character");
  });
});

describe('local demo codes', () => {
  it("computes codes for moto's fixed secret as moto checks them (pyca cryptography's TOTP, computed once)", async () => {
    // python: TOTP(b32decode('asdfasdfasdf====', casefold=True), 6, SHA1(), 30, enforce_key_length=False).generate(1700000000)
    expect(MOTO_TOTP_SECRET).toBe('asdfasdfasdf');
    expect(await currentCode(MOTO_TOTP_SECRET, 1_700_000_000_000)).toEqual({ code: '228570', validFor: 10 });
    expect(await totpLine('reader1', MOTO_TOTP_SECRET, 1_700_000_000_000)).toBe('reader1: 228570 (valid 10 s more)');
  });

  it('gives a code from the next window when the current one ends within the margin, else the current one', async () => {
    jest.useFakeTimers({ now: 1_700_000_000_000 }); // 10 s left in the window
    try {
      await expect(freshCode(MOTO_TOTP_SECRET, 8)).resolves.toBe('228570');
      jest.setSystemTime(1_700_000_004_000); // 6 s left
      let code: string | undefined;
      const pending = freshCode(MOTO_TOTP_SECRET, 8).then((c) => (code = c));
      await jest.advanceTimersByTimeAsync(5_000);
      expect(code).toBeUndefined();
      await jest.advanceTimersByTimeAsync(1_500);
      await pending;
      expect(code).toBe(await totp(MOTO_TOTP_SECRET, 1_700_000_010_000));
      expect(code).not.toBe('228570');
    } finally {
      jest.useRealTimers();
    }
  });
});
