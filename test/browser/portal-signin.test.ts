/**
 * Sign-in in real Chromium against moto's Cognito (TOTP checking on): a new reader replaces the
 * temporary password, enrols an authenticator from the QR code's key, lands on the portal, signs
 * out, and signs in again with a code; wrong codes are said so; UserContextData goes with every
 * call when Cognito's advanced-security script is on the page (which the local room does not load).
 * The API behind the portal is the fixture stand-in (test/helpers/portal-fixtures.ts); the same
 * first sign-in against the real API runs in room.test.ts.
 */
import { AdminCreateUserCommand, CognitoIdentityProviderClient, CreateUserPoolClientCommand, CreateUserPoolCommand, SetUserPoolMfaConfigCommand } from '@aws-sdk/client-cognito-identity-provider';
import type { PortalConfig } from '../../portal/src/config';
import type { PortalServer } from '../../portal/serve';
import { eventually, useBrowser, warmAxe } from '../helpers/browser';
import { awsClientConfig, testMoto, type MotoServer } from '../helpers/moto';
import { PortalFixtures, USERS } from '../helpers/portal-fixtures';
import { servePortal, untranslated } from '../helpers/portal-page';
import { enterTotpCode } from '../helpers/totp-page';

let moto: MotoServer | undefined;
let admin: CognitoIdentityProviderClient;
let config: PortalConfig;
let server: PortalServer;
const SECURITY_JS = "window.AmazonCognitoAdvancedSecurityData = { getData: function (u, pool, client) { return 'device:' + u + ':' + client; } };";

/** moto with TOTP checking, a pool like the deployment's, and the portal served against it. */
async function setUp(): Promise<void> {
  moto = await testMoto({ MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP: 'true' });
  // us-east-1: moto answers unsigned calls on a bare host:port from there (portal/auth/README.md).
  admin = new CognitoIdentityProviderClient({ ...awsClientConfig(moto.endpoint), region: 'us-east-1' });
  const pool = await admin.send(new CreateUserPoolCommand({ PoolName: 'portal-signin', MfaConfiguration: 'ON' }));
  const poolId = pool.UserPool!.Id!;
  await admin.send(new SetUserPoolMfaConfigCommand({ UserPoolId: poolId, MfaConfiguration: 'ON', SoftwareTokenMfaConfiguration: { Enabled: true } }));
  const client = await admin.send(new CreateUserPoolClientCommand({ UserPoolId: poolId, ClientName: 'portal', GenerateSecret: false, ExplicitAuthFlows: ['ALLOW_USER_SRP_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'] }));
  config = { apiUrl: 'https://api.readroom.test', region: 'us-east-1', userPoolId: poolId, clientId: client.UserPoolClient!.ClientId!, cognitoEndpoint: moto.endpoint, embedShim: true, advancedSecurityScriptPath: '/vendor/security.js' };
  server = await servePortal({ config, files: { '/vendor/security.js': { type: 'text/javascript', body: SECURITY_JS } } });
}

/**
 * The set-up starts in a hook before the browser's, not awaited there, so Chromium launches (the
 * browser helper's hook) and its pages are opened and warmed (axe-core compiled once in each
 * renderer) while moto starts; the hook after the browser's waits for it.
 */
let settingUp: Promise<void> | undefined;
beforeAll(() => {
  settingUp = setUp();
  // Its failure is reported by the hook that awaits it.
  settingUp.catch(() => undefined);
});
const b = useBrowser('portal-signin', {}, { oneContext: true });
/** The Korean test's page, in a context of its own (the browser's language), opened and warmed meanwhile too. */
let korean: import('playwright-core').Page;
beforeAll(async () => {
  korean = await (await b.browser().newContext({ locale: 'ko-KR' })).newPage();
  await warmAxe(korean);
  await settingUp;
});

afterAll(async () => {
  await settingUp?.catch(() => undefined);
  await server?.close();
  admin?.destroy();
  await moto?.stop();
});

async function createUser(username: string): Promise<void> {
  await admin.send(new AdminCreateUserCommand({ UserPoolId: config.userPoolId, Username: username, TemporaryPassword: 'Temporary-Pass-1', MessageAction: 'SUPPRESS', UserAttributes: [{ Name: 'email', Value: `${username}@example.org` }] }));
}

/** Records what the page sends to Cognito. */
function cognitoRequests(page: import('playwright-core').Page): Array<{ target: string; body: Record<string, unknown> }> {
  const seen: Array<{ target: string; body: Record<string, unknown> }> = [];
  page.on('request', (r) => {
    if (r.url().startsWith(moto!.endpoint) && r.method() === 'POST') seen.push({ target: (r.headers()['x-amz-target'] ?? '').split('.').pop()!, body: r.postDataJSON() as Record<string, unknown> });
  });
  return seen;
}

describe('portal sign-in against moto', () => {
  it('takes a new reader from the temporary password through TOTP enrolment to the portal, then out and in again', async () => {
    const page = b.page();
    await createUser(USERS.reader.username);
    const fx = new PortalFixtures();
    fx.trustTokenClaims = true;
    await fx.install(page);
    const sent = cognitoRequests(page);
    await page.goto(`${server.url}/`);

    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    // The heading takes the focus in an effect, after it is painted.
    await eventually(async () => expect(await page.getByRole('heading', { name: 'Sign in' }).evaluate((h) => h === document.activeElement)).toBe(true));
    expect(await b.axe()).toEqual([]);
    await b.shot('sign in');
    await page.getByLabel('User name').fill(USERS.reader.username);
    await page.getByLabel('Password').fill('Temporary-Pass-1');
    await page.keyboard.press('Enter');

    await page.getByRole('heading', { name: 'Choose a new password' }).waitFor();
    await page.getByLabel('New password', { exact: true }).fill('A-new-Password-2026');
    await page.getByLabel('New password again').fill('A-different-one-2026');
    await page.getByRole('button', { name: 'Set the password' }).click();
    await expect(page.getByText('The two passwords are not the same.').isVisible()).resolves.toBe(true);
    expect(await b.axe()).toEqual([]);
    await b.shot('new password, mismatch');
    await page.getByLabel('New password again').fill('A-new-Password-2026');
    await page.getByRole('button', { name: 'Set the password' }).click();

    await page.getByRole('heading', { name: 'Set up your authenticator app' }).waitFor();
    const qr = page.getByRole('img', { name: 'QR code to add ReadRoom to an authenticator app' });
    await qr.waitFor();
    const secret = (await page.locator('code.secret').textContent())!;
    expect(secret).toMatch(/^[A-Z2-7]{4}( [A-Z2-7]{1,4})+$/);
    expect(await b.axe()).toEqual([]);
    await b.shot('TOTP enrolment');
    await page.getByLabel('6-digit code from the app').fill('000000');
    await page.getByRole('button', { name: 'Verify' }).click();
    // moto answers CodeMismatchException here (AWS may also answer EnableSoftwareTokenMFAException).
    await page.getByText('That code is not right').waitFor();
    await enterTotpCode(page, () => page.getByRole('button', { name: 'Verify' }).click(), secret.replace(/ /g, ''));

    // Signed in: the reader's home, with the ID token moto issued accepted by the API stand-in.
    await page.getByRole('heading', { name: 'My cases', level: 1 }).waitFor();
    await expect(page.getByText(`Signed in as ${USERS.reader.username}`).isVisible()).resolves.toBe(true);
    await b.shot('signed in');
    const auth = await page.evaluate(() => JSON.parse(sessionStorage.getItem('readroom.auth') ?? '{}'));
    expect(Object.keys(auth).sort()).toEqual(['refreshToken', 'username']);
    expect(fx.requests.find((r) => r.path === '/me')!.headers.authorization).toMatch(/^Bearer [\w-]+\.[\w-]+\.[\w-]*$/);

    // A reload stays signed in (the tab kept the refresh token).
    await page.reload();
    await page.getByRole('heading', { name: 'My cases', level: 1 }).waitFor();

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(await page.evaluate(() => sessionStorage.getItem('readroom.auth'))).toBeNull();

    // Next sign-in: password, then a code (wrong first).
    await page.getByLabel('User name').fill(USERS.reader.username);
    await page.getByLabel('Password').fill('A-new-Password-2026');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Enter your code' }).waitFor();
    await page.getByLabel('6-digit code from the app').fill('000000');
    await page.keyboard.press('Enter');
    await page.getByText('That code is not right').waitFor();
    expect(await b.axe()).toEqual([]);
    await b.shot('wrong code');
    await enterTotpCode(page, () => page.keyboard.press('Enter'), secret.replace(/ /g, ''));
    await page.getByRole('heading', { name: 'My cases', level: 1 }).waitFor();

    // Every InitiateAuth and RespondToAuthChallenge carried the advanced-security data.
    const steps = sent.filter((s) => ['InitiateAuth', 'RespondToAuthChallenge'].includes(s.target) && (s.body.AuthFlow ?? 'challenge') !== 'REFRESH_TOKEN_AUTH');
    expect(steps.length).toBeGreaterThanOrEqual(5);
    for (const s of steps) expect(s.body.UserContextData).toEqual({ EncodedData: `device:${USERS.reader.username}:${config.clientId}` });
    expect(sent.map((s) => s.target)).toEqual(expect.arrayContaining(['AssociateSoftwareToken', 'VerifySoftwareToken', 'RevokeToken']));
  });

  it('shows the sign-in steps in Korean with no English', async () => {
    const page = korean;
    await createUser('reader.yoon');
    await page.goto(`${server.url}/`);
    await page.getByRole('heading', { name: '로그인' }).waitFor();
    expect(await untranslated(page)).toEqual([]);
    await page.getByLabel('사용자 이름').fill('reader.yoon');
    await page.getByLabel('비밀번호').fill('Temporary-Pass-1');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: '새 비밀번호 설정' }).waitFor();
    expect(await untranslated(page)).toEqual([]);
    await page.getByLabel('새 비밀번호', { exact: true }).fill('A-new-Password-2026');
    await page.getByLabel('새 비밀번호 확인').fill('A-new-Password-2026');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: '인증 앱 설정' }).waitFor();
    await eventually(async () => expect(await page.locator('code.secret').count()).toBe(1));
    await page.getByLabel('앱에 표시된 6자리 코드').fill('000000');
    await page.keyboard.press('Enter');
    await page.getByText('코드가 올바르지 않습니다').waitFor();
    expect(await untranslated(page)).toEqual([]);
    expect(await b.axe(page)).toEqual([]);
    await b.shot('korean enrolment', page);
    await page.context().close();
  });
});
