/**
 * A small Cognito user pool client over `fetch` for the portal's sign-in: the Cognito Identity
 * Provider JSON API (`X-Amz-Target: AWSCognitoIdentityProviderService.<Op>`), which needs no AWS
 * credentials for these calls. One code path for AWS and the local room (moto): only the endpoint
 * differs. Browser-safe: no Node module, no SDK.
 *
 * Flows: USER_SRP_AUTH (→ PASSWORD_VERIFIER), NEW_PASSWORD_REQUIRED, MFA_SETUP →
 * AssociateSoftwareToken → VerifySoftwareToken → MFA_SETUP response, SOFTWARE_TOKEN_MFA,
 * REFRESH_TOKEN_AUTH, GlobalSignOut, RevokeToken. `UserContextData` is sent with every InitiateAuth
 * and RespondToAuthChallenge when the page provides it (Cognito's advanced-security script), so
 * threat protection sees the device.
 *
 * Emulator tolerance (moto 5.2): `USER_ID_FOR_SRP` is the user's sub (used as given, as on AWS
 * where it is the username); `MFAS_CAN_SETUP` may be an array instead of a JSON string; moto does not
 * check the SRP signature and has no RevokeToken.
 */
import { passwordVerifier, startSrp } from './srp';

export interface CognitoConfig {
  region: string;
  userPoolId: string;
  /** An app client without a secret (a browser cannot keep one). */
  clientId: string;
  /** @default `https://cognito-idp.<region>.amazonaws.com/` */
  endpoint?: string;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
  /**
   * Returns `EncodedData` for UserContextData, e.g. from
   * `AmazonCognitoAdvancedSecurityData.getData(username, userPoolId, clientId)`; undefined to omit.
   */
  userContextData?: (username: string) => string | undefined;
  /** @default () => new Date() */
  now?: () => Date;
}

export interface Tokens {
  idToken: string;
  accessToken: string;
  /** Absent on a refresh: the refresh token stays the same. */
  refreshToken?: string;
  expiresIn: number;
}

/** Where a sign-in stands after each call: done, or which answer Cognito wants next. */
export type SignInStep =
  | { kind: 'done'; tokens: Tokens }
  | { kind: 'newPassword'; username: string; session: string; requiredAttributes: string[] }
  | { kind: 'mfaSetup'; username: string; session: string }
  | { kind: 'totp'; username: string; session: string }
  /** A challenge the portal does not offer (SMS, email, device…): tell the user to ask an admin. */
  | { kind: 'unsupported'; challenge: string };

/** An error answer from Cognito: `code` is the exception name (NotAuthorizedException, CodeMismatchException…). */
export class CognitoError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'CognitoError';
  }
}

type Json = Record<string, unknown>;

export class CognitoClient {
  private readonly endpoint: string;
  private readonly fetchImpl: typeof fetch;

  constructor(private readonly config: CognitoConfig) {
    this.endpoint = config.endpoint ?? `https://cognito-idp.${config.region}.amazonaws.com/`;
    this.fetchImpl = config.fetch ?? ((...args) => globalThis.fetch(...args));
  }

  /** One API call; Cognito's error shape becomes a CognitoError. */
  async call(operation: string, body: Json): Promise<Json> {
    let res: Response;
    try {
      res = await this.fetchImpl(this.endpoint, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-amz-json-1.1', 'X-Amz-Target': `AWSCognitoIdentityProviderService.${operation}` },
        body: JSON.stringify(body),
        credentials: 'omit',
      });
    } catch (e) {
      throw new CognitoError('NetworkError', `Cognito could not be reached: ${(e as Error).message}`, 0);
    }
    const text = await res.text();
    let json: Json = {};
    try {
      json = text ? (JSON.parse(text) as Json) : {};
    } catch {
      throw new CognitoError('InvalidResponse', `Cognito answered ${res.status} with a body that is not JSON`, res.status);
    }
    if (!res.ok) {
      // __type may be namespaced ("com.amazonaws…#NotAuthorizedException"); the header is the fallback.
      const type = String(json.__type ?? res.headers.get('x-amzn-ErrorType') ?? 'UnknownError');
      const code = type.split('#').pop()!.split(':')[0];
      throw new CognitoError(code, String(json.message ?? json.Message ?? code), res.status);
    }
    return json;
  }

  private context(username: string): Json {
    const data = this.config.userContextData?.(username);
    return data ? { UserContextData: { EncodedData: data } } : {};
  }

  /** Starts USER_SRP_AUTH and answers the PASSWORD_VERIFIER challenge. */
  async signIn(username: string, password: string): Promise<SignInStep> {
    const srp = startSrp();
    const init = await this.call('InitiateAuth', {
      AuthFlow: 'USER_SRP_AUTH',
      ClientId: this.config.clientId,
      AuthParameters: { USERNAME: username, SRP_A: srp.srpA },
      ...this.context(username),
    });
    if (init.ChallengeName !== 'PASSWORD_VERIFIER') return this.step(init, username);
    const p = init.ChallengeParameters as Record<string, string>;
    const responses = await passwordVerifier({
      session: srp,
      poolId: this.config.userPoolId,
      password,
      challenge: { SRP_B: p.SRP_B, SALT: p.SALT, SECRET_BLOCK: p.SECRET_BLOCK, USER_ID_FOR_SRP: p.USER_ID_FOR_SRP },
      now: this.config.now?.(),
    });
    const name = p.USERNAME ?? username;
    return this.respond('PASSWORD_VERIFIER', name, init.Session as string | undefined, { USERNAME: name, ...responses });
  }

  /** NEW_PASSWORD_REQUIRED: the first sign-in with a temporary password. */
  completeNewPassword(step: Extract<SignInStep, { kind: 'newPassword' }>, newPassword: string, attributes: Record<string, string> = {}): Promise<SignInStep> {
    const extra = Object.fromEntries(Object.entries(attributes).map(([k, v]) => [`userAttributes.${k}`, v]));
    return this.respond('NEW_PASSWORD_REQUIRED', step.username, step.session, { USERNAME: step.username, NEW_PASSWORD: newPassword, ...extra });
  }

  /** MFA_SETUP, step 1: a new TOTP secret, for the sign-in session (enrolment) or a signed-in user. */
  async associateSoftwareToken(by: { session: string } | { accessToken: string }): Promise<{ secret: string; session?: string }> {
    const out = await this.call('AssociateSoftwareToken', 'session' in by ? { Session: by.session } : { AccessToken: by.accessToken });
    return { secret: String(out.SecretCode), session: out.Session as string | undefined };
  }

  /** MFA_SETUP, step 2: proves the app holds the secret. Returns the session for step 3. */
  async verifySoftwareToken(by: { session: string } | { accessToken: string }, code: string, deviceName = 'Authenticator'): Promise<{ session?: string }> {
    const out = await this.call('VerifySoftwareToken', {
      ...('session' in by ? { Session: by.session } : { AccessToken: by.accessToken }),
      UserCode: code,
      FriendlyDeviceName: deviceName,
    });
    if (out.Status !== 'SUCCESS') throw new CognitoError('EnableSoftwareTokenMFAException', 'The code was not accepted', 400);
    return { session: out.Session as string | undefined };
  }

  /** MFA_SETUP, step 3: finishes the sign-in that asked for enrolment. */
  completeMfaSetup(username: string, session: string): Promise<SignInStep> {
    return this.respond('MFA_SETUP', username, session, { USERNAME: username });
  }

  /** SOFTWARE_TOKEN_MFA: the 6-digit code from the authenticator app. */
  answerTotp(step: Extract<SignInStep, { kind: 'totp' }>, code: string): Promise<SignInStep> {
    return this.respond('SOFTWARE_TOKEN_MFA', step.username, step.session, { USERNAME: step.username, SOFTWARE_TOKEN_MFA_CODE: code });
  }

  /** New id and access tokens from the refresh token (which itself is kept). */
  async refresh(refreshToken: string): Promise<Tokens> {
    const out = await this.call('InitiateAuth', {
      AuthFlow: 'REFRESH_TOKEN_AUTH',
      ClientId: this.config.clientId,
      AuthParameters: { REFRESH_TOKEN: refreshToken },
    });
    const tokens = this.tokens(out);
    if (!tokens) throw new CognitoError('InvalidResponse', 'Cognito answered a refresh without tokens', 200);
    return tokens;
  }

  /** Signs the user out everywhere: every refresh token is revoked, access tokens stop working. */
  async globalSignOut(accessToken: string): Promise<void> {
    await this.call('GlobalSignOut', { AccessToken: accessToken });
  }

  /** Revokes one refresh token (and the tokens issued from it): sign-out on this device only. */
  async revokeToken(refreshToken: string): Promise<void> {
    await this.call('RevokeToken', { Token: refreshToken, ClientId: this.config.clientId });
  }

  private async respond(challenge: string, username: string, session: string | undefined, responses: Record<string, string>): Promise<SignInStep> {
    const out = await this.call('RespondToAuthChallenge', {
      ChallengeName: challenge,
      ClientId: this.config.clientId,
      ChallengeResponses: responses,
      ...(session ? { Session: session } : {}),
      ...this.context(username),
    });
    return this.step(out, username);
  }

  private tokens(out: Json): Tokens | undefined {
    const r = out.AuthenticationResult as Record<string, unknown> | undefined;
    if (!r?.AccessToken || !r.IdToken) return undefined;
    return { idToken: String(r.IdToken), accessToken: String(r.AccessToken), refreshToken: r.RefreshToken ? String(r.RefreshToken) : undefined, expiresIn: Number(r.ExpiresIn ?? 3600) };
  }

  private step(out: Json, username: string): SignInStep {
    const tokens = this.tokens(out);
    if (tokens) return { kind: 'done', tokens };
    const challenge = String(out.ChallengeName ?? '');
    const params = (out.ChallengeParameters ?? {}) as Record<string, unknown>;
    const session = String(out.Session ?? '');
    const name = typeof params.USERNAME === 'string' && params.USERNAME ? params.USERNAME : username;
    switch (challenge) {
      case 'NEW_PASSWORD_REQUIRED':
        return { kind: 'newPassword', username: name, session, requiredAttributes: stringList(params.requiredAttributes).map((a) => a.replace(/^userAttributes\./, '')) };
      case 'MFA_SETUP':
        // Only TOTP is offered: a pool that can set up nothing else would leave the user stuck.
        return stringList(params.MFAS_CAN_SETUP).includes('SOFTWARE_TOKEN_MFA') ? { kind: 'mfaSetup', username: name, session } : { kind: 'unsupported', challenge };
      case 'SOFTWARE_TOKEN_MFA':
        return { kind: 'totp', username: name, session };
      default:
        return { kind: 'unsupported', challenge: challenge || 'none' };
    }
  }
}

/** Cognito sends lists as JSON strings ("[\"SOFTWARE_TOKEN_MFA\"]"); moto sends real arrays. Both work. */
export function stringList(v: unknown): string[] {
  if (Array.isArray(v)) return v.map(String);
  if (typeof v !== 'string' || v === '') return [];
  try {
    const parsed: unknown = JSON.parse(v);
    return Array.isArray(parsed) ? parsed.map(String) : [String(parsed)];
  } catch {
    return v.split(',').map((s) => s.trim()).filter(Boolean);
  }
}
