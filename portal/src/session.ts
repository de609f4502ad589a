/**
 * The signed-in person: the sign-in steps (through portal/auth's Cognito client only, the same
 * code path for AWS and the local room), the tokens, their refresh, and sign-out.
 *
 * Tokens: the ID token (what the API accepts; ≤ 15 min by default) and the access token stay in
 * memory; the refresh token and the user name are kept in sessionStorage so that a reload of the
 * tab stays signed in, and closing the tab forgets them. The ID token is refreshed a minute before
 * it expires (a timer, and again on demand). When a refresh is refused (the refresh token expired
 * or was revoked) the session becomes `expired`: calls to the API wait, the page stays as it is
 * (a draft on screen is kept), and the person signs in again as the same user; the waiting calls
 * then go on with the new token.
 */
import { signal } from '@preact/signals-core';
import { CognitoClient, CognitoError, type SignInStep, type Tokens } from '../auth/cognito';
import type { TokenSource } from './api/client';

export interface User {
  username: string;
  sub: string;
  email?: string;
  groups: string[];
}

export type AuthState =
  | { kind: 'loading' }
  | { kind: 'signedOut'; username?: string }
  | { kind: 'newPassword'; username: string; step: Extract<SignInStep, { kind: 'newPassword' }> }
  | { kind: 'mfaSetup'; username: string; step: Extract<SignInStep, { kind: 'mfaSetup' }>; secret?: string; setupSession?: string }
  | { kind: 'totp'; username: string; step: Extract<SignInStep, { kind: 'totp' }> }
  | { kind: 'unsupported'; username: string; challenge: string }
  | { kind: 'signedIn'; user: User }
  /** The refresh was refused: the same person signs in again; API calls wait meanwhile. */
  | { kind: 'expired'; user: User; step?: AuthState };

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

type KeyValueStore = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

const STORAGE_KEY = 'readroom.auth';
/** Refresh this long before the ID token expires. */
export const REFRESH_MARGIN_MS = 60_000;
/** After a refresh failed for a reason other than a refusal (network), try again after this. */
export const REFRESH_RETRY_MS = 15_000;

/** The claims of a JWT (no signature check: the API checks tokens; the portal only reads them). */
export function jwtClaims(token: string): Record<string, unknown> {
  const part = token.split('.')[1];
  if (!part) throw new Error('not a JWT');
  const b64 = part.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(part.length / 4) * 4, '=');
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
}

function userOf(idToken: string, username: string): User {
  const c = jwtClaims(idToken);
  const groups = Array.isArray(c['cognito:groups']) ? (c['cognito:groups'] as unknown[]).map(String) : [];
  return {
    username: typeof c['cognito:username'] === 'string' ? (c['cognito:username'] as string) : username,
    sub: String(c.sub ?? ''),
    ...(typeof c.email === 'string' ? { email: c.email } : {}),
    groups,
  };
}

/** A refusal of the refresh token (not a network problem): the person must sign in again. */
const refused = (e: unknown) => e instanceof CognitoError && e.status >= 400 && e.status < 500 && e.code !== 'TooManyRequestsException';

interface Held {
  idToken: string;
  accessToken: string;
  refreshToken: string;
  expiresAt: number;
}

export class AuthSession implements TokenSource {
  readonly state = signal<AuthState>({ kind: 'loading' });
  private held?: Held;
  private refreshing?: Promise<string>;
  private timer: unknown;
  private waiting: Array<{ resolve(token: string): void; reject(e: Error): void }> = [];

  constructor(
    private readonly cognito: CognitoClient,
    private readonly storage: KeyValueStore,
    private readonly clock: Clock = { now: () => Date.now(), setTimeout: (f, ms) => setTimeout(f, ms), clearTimeout: (h) => clearTimeout(h as number) },
  ) {}

  /** The signed-in user, also while the session waits for a new sign-in. */
  get user(): User | undefined {
    const s = this.state.value;
    return s.kind === 'signedIn' || s.kind === 'expired' ? s.user : undefined;
  }

  /** At start: a refresh token kept by this tab signs in again without asking. */
  async restore(): Promise<void> {
    let kept: { username?: string; refreshToken?: string } = {};
    try {
      kept = JSON.parse(this.storage.getItem(STORAGE_KEY) ?? '{}') as typeof kept;
    } catch {
      kept = {};
    }
    if (!kept.username || !kept.refreshToken) {
      this.state.value = { kind: 'signedOut' };
      return;
    }
    try {
      const tokens = await this.cognito.refresh(kept.refreshToken);
      this.accept({ ...tokens, refreshToken: kept.refreshToken }, kept.username);
    } catch {
      this.storage.removeItem(STORAGE_KEY);
      this.state.value = { kind: 'signedOut', username: kept.username };
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Sign-in steps. Each throws the CognitoError of a refusal; the page words it.

  async signIn(username: string, password: string): Promise<void> {
    const expired = this.state.value.kind === 'expired' ? this.state.value : undefined;
    if (expired && username !== expired.user.username) {
      throw new CognitoError('DifferentUser', 'Sign in again as the same user, or sign out first', 400);
    }
    this.next(await this.cognito.signIn(username, password), username);
  }

  async completeNewPassword(password: string): Promise<void> {
    const s = this.current('newPassword');
    this.next(await this.cognito.completeNewPassword(s.step, password), s.username);
  }

  /** MFA_SETUP, step 1: the secret to show as a QR code and as text. */
  async beginTotpSetup(): Promise<string> {
    const s = this.current('mfaSetup');
    if (s.secret) return s.secret;
    const { secret, session } = await this.cognito.associateSoftwareToken({ session: s.step.session });
    this.setStep({ ...s, secret, setupSession: session ?? s.step.session });
    return secret;
  }

  /** MFA_SETUP, steps 2 and 3: the first code from the app, then the sign-in completes. */
  async finishTotpSetup(code: string): Promise<void> {
    const s = this.current('mfaSetup');
    const verified = await this.cognito.verifySoftwareToken({ session: s.setupSession ?? s.step.session }, code);
    this.next(await this.cognito.completeMfaSetup(s.step.username, verified.session ?? s.setupSession ?? s.step.session), s.username);
  }

  async answerTotp(code: string): Promise<void> {
    const s = this.current('totp');
    this.next(await this.cognito.answerTotp(s.step, code), s.username);
  }

  /** Back to the user name and password (a step's session expired, or "start again"). */
  restart(): void {
    const s = this.state.value;
    if (s.kind === 'expired') this.state.value = { kind: 'expired', user: s.user };
    else this.state.value = { kind: 'signedOut', username: 'username' in s ? s.username : undefined };
  }

  /**
   * Signs out on this device: the refresh token is revoked (so a copy of it is worthless), the
   * tokens are forgotten, and anything waiting for a token is refused.
   */
  async signOut(): Promise<void> {
    const held = this.held;
    this.forget();
    this.state.value = { kind: 'signedOut' };
    this.rejectWaiting(new Error('signed out'));
    // Best effort: the tokens are gone from this tab either way (moto has no RevokeToken).
    if (held) await this.cognito.revokeToken(held.refreshToken).catch(() => undefined);
  }

  // ---------------------------------------------------------------------------------------------
  // Tokens (TokenSource for the API client).

  async idToken(): Promise<string> {
    const held = this.held;
    if (this.state.value.kind === 'expired' || !held) return this.waitForSignIn();
    if (held.expiresAt - this.clock.now() > REFRESH_MARGIN_MS) return held.idToken;
    return this.refresh();
  }

  async renew(): Promise<string> {
    if (this.state.value.kind === 'expired') return this.waitForSignIn();
    return this.refresh(true);
  }

  /** One refresh at a time; a refusal makes the session `expired` and waits for a new sign-in. */
  private refresh(afterRefusal = false): Promise<string> {
    this.refreshing ??= (async () => {
      const held = this.held;
      if (!held) throw new Error('not signed in');
      try {
        const tokens = await this.cognito.refresh(held.refreshToken);
        const user = this.user!;
        this.accept({ ...tokens, refreshToken: tokens.refreshToken ?? held.refreshToken }, user.username);
        return this.held!.idToken;
      } catch (e) {
        // A token that is still valid is still usable while the network recovers.
        if (!refused(e) && !afterRefusal && held.expiresAt > this.clock.now()) {
          this.schedule(REFRESH_RETRY_MS);
          return held.idToken;
        }
        if (!refused(e)) throw e;
        const user = this.user;
        if (!user) throw e;
        this.state.value = { kind: 'expired', user };
        return this.waitForSignIn();
      } finally {
        this.refreshing = undefined;
      }
    })();
    return this.refreshing;
  }

  private waitForSignIn(): Promise<string> {
    if (this.state.value.kind === 'signedOut' || this.state.value.kind === 'loading') return Promise.reject(new Error('not signed in'));
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  private rejectWaiting(e: Error): void {
    const waiting = this.waiting;
    this.waiting = [];
    for (const w of waiting) w.reject(e);
  }

  // ---------------------------------------------------------------------------------------------

  private current<K extends AuthState['kind']>(kind: K): Extract<AuthState, { kind: K }> {
    const s = this.state.value;
    const inner = s.kind === 'expired' ? s.step : s;
    if (inner?.kind !== kind) throw new CognitoError('OutOfStep', `not at the ${kind} step`, 400);
    return inner as Extract<AuthState, { kind: K }>;
  }

  /** Shows a sign-in step; while expired it is shown inside the expired state. */
  private setStep(step: AuthState): void {
    const s = this.state.value;
    this.state.value = s.kind === 'expired' ? { kind: 'expired', user: s.user, step } : step;
  }

  private next(step: SignInStep, username: string): void {
    switch (step.kind) {
      case 'done':
        if (!step.tokens.refreshToken) throw new CognitoError('InvalidResponse', 'Cognito signed in without a refresh token', 200);
        this.accept({ ...step.tokens, refreshToken: step.tokens.refreshToken }, username);
        return;
      case 'newPassword':
        return this.setStep({ kind: 'newPassword', username, step });
      case 'mfaSetup':
        return this.setStep({ kind: 'mfaSetup', username, step });
      case 'totp':
        return this.setStep({ kind: 'totp', username, step });
      case 'unsupported':
        return this.setStep({ kind: 'unsupported', username, challenge: step.challenge });
    }
  }

  private accept(tokens: Tokens & { refreshToken: string }, username: string): void {
    const user = userOf(tokens.idToken, username);
    const exp = Number(jwtClaims(tokens.idToken).exp);
    // The token's own expiry when it has one, else Cognito's ExpiresIn.
    const expiresAt = Number.isFinite(exp) && exp > 0 ? Math.min(exp * 1000, this.clock.now() + tokens.expiresIn * 1000) : this.clock.now() + tokens.expiresIn * 1000;
    this.held = { idToken: tokens.idToken, accessToken: tokens.accessToken, refreshToken: tokens.refreshToken, expiresAt };
    this.storage.setItem(STORAGE_KEY, JSON.stringify({ username: user.username, refreshToken: tokens.refreshToken }));
    this.state.value = { kind: 'signedIn', user };
    this.schedule(expiresAt - this.clock.now() - REFRESH_MARGIN_MS);
    const waiting = this.waiting;
    this.waiting = [];
    for (const w of waiting) w.resolve(tokens.idToken);
  }

  private schedule(inMs: number): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      if (this.held && this.state.value.kind === 'signedIn') this.refresh().catch(() => undefined);
    }, Math.max(5_000, inMs));
  }

  private forget(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.held = undefined;
    this.storage.removeItem(STORAGE_KEY);
  }
}
