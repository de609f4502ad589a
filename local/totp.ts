/**
 * The current TOTP code for a demo user, for the local reading room (`npm run totp -- <user>` once
 * the room's seed knows each user's secret). In the local room every secret is moto's: moto 5.2
 * hands the same fixed secret to every AssociateSoftwareToken and checks codes against it (with
 * MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP=true).
 *
 * Run directly: `tsx local/totp.ts [secret]` prints the code for that secret (moto's by default).
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

/** The line `npm run totp` prints: "alice: 123456 (valid 17 s more)". */
export async function totpLine(user: string, secret: string = MOTO_TOTP_SECRET, atMs: number = Date.now()): Promise<string> {
  const { code, validFor } = await currentCode(secret, atMs);
  return `${user}: ${code} (valid ${validFor} s more)`;
}

if (require.main === module) {
  const secret = process.argv[2] ?? MOTO_TOTP_SECRET;
  totpLine(process.argv[2] ? 'code' : 'moto demo user', secret)
    .then((line) => console.log(line))
    .catch((e: unknown) => {
      console.error((e as Error).message);
      process.exit(1);
    });
}
