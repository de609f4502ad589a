/**
 * The signed-in session: the sign-in steps as states, what is kept where, refresh before expiry,
 * an expired session that waits for the same person, and sign-out. Cognito itself is covered
 * against moto in test/portal/auth/cognito.test.ts and in the sign-in browser test; here it is a
 * scripted stand-in with CognitoClient's methods.
 */
import { CognitoError, type CognitoClient, type SignInStep, type Tokens } from '../../portal/auth/cognito';
import { AuthSession, jwtClaims, REFRESH_MARGIN_MS } from '../../portal/src/session';
import { FakeTimers, MemoryStorage } from '../helpers/fake-time';

const b64url = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
const jwt = (claims: Record<string, unknown>) => `${b64url({ alg: 'none' })}.${b64url(claims)}.sig`;

function fakeCognito(clock: FakeTimers) {
  const calls: string[] = [];
  let issued = 0;
  const tokens = (username: string, withRefresh = true): Tokens => ({
    idToken: jwt({ sub: `sub-${username}`, 'cognito:username': username, email: `${username}@example.org`, 'cognito:groups': ['reader'], exp: Math.floor(clock.now() / 1000) + 900, n: ++issued }),
    accessToken: `access-${issued}`,
    ...(withRefresh ? { refreshToken: `refresh-${username}` } : {}),
    expiresIn: 900,
  });
  const state = { refuseRefresh: false, networkDown: false, firstStep: 'totp' as 'totp' | 'newPassword' | 'mfaSetup' | 'done' };
  const fake = {
    calls,
    state,
    async signIn(username: string, password: string): Promise<SignInStep> {
      calls.push(`signIn ${username}`);
      if (password === 'wrong') throw new CognitoError('NotAuthorizedException', 'Incorrect username or password.', 400);
      if (state.firstStep === 'newPassword') return { kind: 'newPassword', username, session: 's1', requiredAttributes: [] };
      if (state.firstStep === 'mfaSetup') return { kind: 'mfaSetup', username, session: 's1' };
      if (state.firstStep === 'done') return { kind: 'done', tokens: tokens(username) };
      return { kind: 'totp', username, session: 's1' };
    },
    async completeNewPassword(step: { username: string }, pw: string): Promise<SignInStep> {
      calls.push(`newPassword ${pw}`);
      return { kind: 'mfaSetup', username: step.username, session: 's2' };
    },
    async associateSoftwareToken(by: { session: string }) {
      calls.push(`associate ${by.session}`);
      return { secret: 'JBSWY3DPEHPK3PXP', session: 's3' };
    },
    async verifySoftwareToken(by: { session: string }, code: string) {
      calls.push(`verify ${by.session} ${code}`);
      if (code !== '123456') throw new CognitoError('EnableSoftwareTokenMFAException', 'Code mismatch', 400);
      return { session: 's4' };
    },
    async completeMfaSetup(username: string, session: string): Promise<SignInStep> {
      calls.push(`completeMfaSetup ${session}`);
      return { kind: 'done', tokens: tokens(username) };
    },
    async answerTotp(step: { username: string }, code: string): Promise<SignInStep> {
      calls.push(`totp ${code}`);
      if (code !== '123456') throw new CognitoError('CodeMismatchException', 'Invalid code', 400);
      return { kind: 'done', tokens: tokens(step.username) };
    },
    async refresh(refreshToken: string): Promise<Tokens> {
      calls.push(`refresh ${refreshToken}`);
      if (state.networkDown) throw new CognitoError('NetworkError', 'down', 0);
      if (state.refuseRefresh) throw new CognitoError('NotAuthorizedException', 'Refresh Token has expired', 400);
      return tokens(refreshToken.replace('refresh-', ''), false);
    },
    async revokeToken(token: string) {
      calls.push(`revoke ${token}`);
    },
  };
  return fake;
}

function setup() {
  const clock = new FakeTimers();
  const cognito = fakeCognito(clock);
  const storage = new MemoryStorage();
  const session = new AuthSession(cognito as unknown as CognitoClient, storage, clock);
  return { clock, cognito, storage, session };
}

async function signedIn() {
  const s = setup();
  s.cognito.state.firstStep = 'done';
  await s.session.signIn('reader.kim', 'pw');
  s.cognito.calls.length = 0;
  return s;
}

describe('AuthSession', () => {
  it('walks a first sign-in through new password, TOTP enrolment and in', async () => {
    const { session, cognito, storage } = setup();
    cognito.state.firstStep = 'newPassword';
    await session.restore();
    expect(session.state.value).toEqual({ kind: 'signedOut' });
    await session.signIn('reader.kim', 'Temporary-1');
    expect(session.state.value.kind).toBe('newPassword');
    await session.completeNewPassword('A-new-password-14');
    expect(session.state.value.kind).toBe('mfaSetup');
    await expect(session.beginTotpSetup()).resolves.toBe('JBSWY3DPEHPK3PXP');
    // The secret is kept with the step: asking again (a re-render) does not enrol twice.
    await session.beginTotpSetup();
    await expect(session.finishTotpSetup('000000')).rejects.toMatchObject({ code: 'EnableSoftwareTokenMFAException' });
    expect(session.state.value.kind).toBe('mfaSetup');
    await session.finishTotpSetup('123456');
    expect(session.state.value).toMatchObject({ kind: 'signedIn', user: { username: 'reader.kim', sub: 'sub-reader.kim', email: 'reader.kim@example.org', groups: ['reader'] } });
    expect(cognito.calls).toEqual(['signIn reader.kim', 'newPassword A-new-password-14', 'associate s2', 'verify s3 000000', 'verify s3 123456', 'completeMfaSetup s4']);
    // Only the refresh token and the user name are kept, in the tab's storage.
    expect(JSON.parse(storage.getItem('readroom.auth')!)).toEqual({ username: 'reader.kim', refreshToken: 'refresh-reader.kim' });
    expect(session.user!.sub).toBe('sub-reader.kim');
  });

  it('keeps the step after a wrong code, and goes back to the start on request', async () => {
    const { session } = setup();
    await session.signIn('reader.kim', 'pw');
    await expect(session.answerTotp('999999')).rejects.toMatchObject({ code: 'CodeMismatchException' });
    expect(session.state.value.kind).toBe('totp');
    session.restart();
    expect(session.state.value).toEqual({ kind: 'signedOut', username: 'reader.kim' });
  });

  it('hands out the ID token, and refreshes it a minute before it expires (timer and on demand)', async () => {
    const { session, cognito, clock } = await signedIn();
    const first = await session.idToken();
    expect(jwtClaims(first).sub).toBe('sub-reader.kim');
    expect(cognito.calls).toEqual([]);
    await clock.advance(900_000 - REFRESH_MARGIN_MS - 1);
    expect(cognito.calls).toEqual([]);
    await clock.advance(2);
    expect(cognito.calls).toEqual(['refresh refresh-reader.kim']);
    const second = await session.idToken();
    expect(second).not.toBe(first);
    // The refresh token is kept (Cognito sends none on a refresh).
    expect(JSON.parse((session as unknown as { storage: MemoryStorage }).storage.getItem('readroom.auth')!).refreshToken).toBe('refresh-reader.kim');
  });

  it('refreshes once for many callers at the same time', async () => {
    const { session, cognito, clock } = await signedIn();
    clock.t += 900_000 - 30_000; // inside the margin, the timer not run
    clock.pending = [];
    const [a, b] = await Promise.all([session.idToken(), session.idToken()]);
    expect(a).toBe(b);
    expect(cognito.calls).toEqual(['refresh refresh-reader.kim']);
  });

  it('keeps a still-valid token while the network is down, and tries again later', async () => {
    const { session, cognito, clock } = await signedIn();
    cognito.state.networkDown = true;
    const before = await session.idToken();
    clock.t += 900_000 - 30_000;
    await expect(session.idToken()).resolves.toBe(before);
    expect(session.state.value.kind).toBe('signedIn');
    cognito.state.networkDown = false;
    await clock.advance(15_000);
    expect(cognito.calls.filter((c) => c.startsWith('refresh'))).toHaveLength(2);
    expect(await session.idToken()).not.toBe(before);
  });

  it('on a refused refresh waits for the same person to sign in again, then goes on with the new token', async () => {
    const { session, cognito, storage } = await signedIn();
    cognito.state.refuseRefresh = true;
    const waiting = session.renew();
    await new Promise((r) => setImmediate(r));
    expect(session.state.value).toMatchObject({ kind: 'expired', user: { username: 'reader.kim' } });
    // Another person cannot take over the expired session (its draft belongs to reader.kim).
    await expect(session.signIn('reader.lee', 'pw')).rejects.toMatchObject({ code: 'DifferentUser' });
    cognito.state.firstStep = 'totp';
    await session.signIn('reader.kim', 'pw');
    expect(session.state.value).toMatchObject({ kind: 'expired', step: { kind: 'totp' } });
    await session.answerTotp('123456');
    const token = await waiting;
    expect(jwtClaims(token)['cognito:username']).toBe('reader.kim');
    expect(session.state.value.kind).toBe('signedIn');
    expect(storage.getItem('readroom.auth')).toContain('refresh-reader.kim');
  });

  it('signs out: revokes the refresh token, forgets everything, refuses waiting calls', async () => {
    const { session, cognito, storage } = await signedIn();
    cognito.state.refuseRefresh = true;
    const waiting = session.renew();
    await new Promise((r) => setImmediate(r));
    await session.signOut();
    await expect(waiting).rejects.toThrow('signed out');
    expect(cognito.calls).toContain('revoke refresh-reader.kim');
    expect(storage.getItem('readroom.auth')).toBeNull();
    expect(session.state.value).toEqual({ kind: 'signedOut' });
    await expect(session.idToken()).rejects.toThrow('not signed in');
  });

  it('restores a session from the tab, or forgets a refused one and keeps the user name', async () => {
    const a = setup();
    a.storage.setItem('readroom.auth', JSON.stringify({ username: 'reader.kim', refreshToken: 'refresh-reader.kim' }));
    await a.session.restore();
    expect(a.session.state.value).toMatchObject({ kind: 'signedIn', user: { username: 'reader.kim' } });

    const b = setup();
    b.cognito.state.refuseRefresh = true;
    b.storage.setItem('readroom.auth', JSON.stringify({ username: 'reader.kim', refreshToken: 'refresh-reader.kim' }));
    await b.session.restore();
    expect(b.session.state.value).toEqual({ kind: 'signedOut', username: 'reader.kim' });
    expect(b.storage.getItem('readroom.auth')).toBeNull();
  });

  it('reports an unsupported challenge as such', async () => {
    const { session, cognito } = setup();
    cognito.signIn = async () => ({ kind: 'unsupported', challenge: 'SMS_MFA' });
    await session.signIn('reader.kim', 'pw');
    expect(session.state.value).toEqual({ kind: 'unsupported', username: 'reader.kim', challenge: 'SMS_MFA' });
  });
});
