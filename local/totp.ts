/**
 * The current TOTP code for a demo user of the local reading room: `npm run totp -- <user>`. In the
 * local room every secret is moto's: moto 5.2 hands the same fixed secret to every
 * AssociateSoftwareToken and checks codes against it (with MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP=true),
 * so the user name only labels the line.
 *
 * `npm run totp -- <user>` prints "<user>: 123456 (valid 17 s more)"; `--secret <base32>` uses
 * another secret.
 */
import { secondsLeft, totp } from '../portal/auth/totp';

/** moto's `COGNITO_TOTP_MFA_SECRET` (moto/cognitoidp/models.py). */
export const MOTO_TOTP_SECRET = 'asdfasdfasdf';

export interface CurrentCode {
  code: string;
  /** Seconds before the code changes. */
  validFor: number;
}

export async function currentCode(secret: string = MOTO_TOTP_SECRET, atMs: number = Date.now()): Promise<CurrentCode> {
  return { code: await totp(secret, atMs), validFor: secondsLeft(atMs) };
}

/** The 30-s window (TOTP's time step, Cognito's) that a moment falls in. */
export const totpWindow = (atMs: number = Date.now()): number => Math.floor(atMs / 30_000);

/**
 * A code that stays valid for at least `marginSeconds` more (waiting for the next window when the
 * current one is about to end), with the window it belongs to: a code sent by a busy machine must
 * not reach Cognito, which checks it against the current window only, after its window has turned.
 */
export async function freshCodeInWindow(secret: string = MOTO_TOTP_SECRET, marginSeconds = 8): Promise<{ code: string; window: number }> {
  const left = secondsLeft(Date.now());
  if (left < marginSeconds) await new Promise((r) => setTimeout(r, left * 1000 + 200));
  const at = Date.now();
  return { code: await totp(secret, at), window: totpWindow(at) };
}

/** `freshCodeInWindow`'s code alone. */
export async function freshCode(secret: string = MOTO_TOTP_SECRET, marginSeconds = 8): Promise<string> {
  return (await freshCodeInWindow(secret, marginSeconds)).code;
}

/** The line `npm run totp` prints: "alice: 123456 (valid 17 s more)". */
export async function totpLine(user: string, secret: string = MOTO_TOTP_SECRET, atMs: number = Date.now()): Promise<string> {
  const { code, validFor } = await currentCode(secret, atMs);
  return `${user}: ${code} (valid ${validFor} s more)`;
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const at = args.indexOf('--secret');
  const secret = at >= 0 ? args[at + 1] : MOTO_TOTP_SECRET;
  const user = args.find((a, i) => !a.startsWith('--') && i !== at + 1) ?? 'demo user';
  totpLine(user, secret)
    .then((line) => console.log(line))
    .catch((e: unknown) => {
      console.error((e as Error).message);
      process.exit(1);
    });
}
