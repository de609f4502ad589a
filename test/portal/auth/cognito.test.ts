/**
 * The portal's Cognito client end to end against moto (TOTP checking on), through plain fetch as
 * the browser will call it: a new user's first sign-in (temporary password → new password → TOTP
 * enrolment), a later sign-in with a TOTP code, refresh, and sign-out. What moto cannot check (the
 * SRP signature, TOTP reuse) is covered by srp.test.ts and totp.test.ts.
 */
import { AdminCreateUserCommand, CognitoIdentityProviderClient, CreateUserPoolClientCommand, CreateUserPoolCommand, GetUserCommand, SetUserPoolMfaConfigCommand } from '@aws-sdk/client-cognito-identity-provider';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CognitoClient, CognitoError, stringList, type SignInStep } from '../../../portal/auth/cognito';
import { freshCode, MOTO_TOTP_SECRET } from '../../../local/totp';
import { awsClientConfig, testMoto, type MotoServer } from '../../helpers/moto';

let moto: MotoServer;
let admin: CognitoIdentityProviderClient;
let poolId: string;
let clientId: string;
const MOTO_UNSIGNED_REGION = 'us-east-1';
const calls: Array<{ target: string; body: Record<string, unknown> }> = [];

beforeAll(async () => {
  moto = await testMoto({ MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP: 'true' });
  // us-east-1: moto serves unsigned calls (the browser's) from the region in the URL's host, and
  // from us-east-1 on a bare host:port. Most of its Cognito calls search every region anyway, but
  // GlobalSignOut does not, so a pool elsewhere could not be signed out of locally.
  admin = new CognitoIdentityProviderClient({ ...awsClientConfig(moto.endpoint), region: MOTO_UNSIGNED_REGION });
  const pool = await admin.send(
    new CreateUserPoolCommand({
      PoolName: 'readers',
      MfaConfiguration: 'ON',
      Policies: { PasswordPolicy: { MinimumLength: 12, RequireLowercase: true, RequireUppercase: true, RequireNumbers: true, RequireSymbols: false } },
    }),
  );
  poolId = pool.UserPool!.Id!;
  // moto offers SOFTWARE_TOKEN_MFA at MFA_SETUP only when the pool's token MFA is enabled.
  await admin.send(new SetUserPoolMfaConfigCommand({ UserPoolId: poolId, MfaConfiguration: 'ON', SoftwareTokenMfaConfiguration: { Enabled: true } }));
  const client = await admin.send(new CreateUserPoolClientCommand({ UserPoolId: poolId, ClientName: 'portal', GenerateSecret: false, ExplicitAuthFlows: ['ALLOW_USER_SRP_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'] }));
  clientId = client.UserPoolClient!.ClientId!;
});

afterAll(async () => {
  admin?.destroy();
  await moto?.stop();
});

/** The portal's client pointed at moto; a recording fetch (real requests) to see what was sent. */
function portalClient(contextData?: string): CognitoClient {
  return new CognitoClient({
    region: MOTO_UNSIGNED_REGION,
    userPoolId: poolId,
    clientId,
    endpoint: moto.endpoint,
    userContextData: contextData ? () => contextData : undefined,
    fetch: async (input, init) => {
      calls.push({ target: String(new Headers(init?.headers).get('X-Amz-Target')), body: JSON.parse(String(init?.body)) as Record<string, unknown> });
      return fetch(input, init);
    },
  });
}

async function createUser(username: string): Promise<void> {
  await admin.send(new AdminCreateUserCommand({ UserPoolId: poolId, Username: username, TemporaryPassword: 'Temporary-Pass-1', MessageAction: 'SUPPRESS', UserAttributes: [{ Name: 'email', Value: `${username}@example.org` }] }));
}

function expectKind<K extends SignInStep['kind']>(step: SignInStep, kind: K): Extract<SignInStep, { kind: K }> {
  expect(step.kind).toBe(kind);
  return step as Extract<SignInStep, { kind: K }>;
}

describe('CognitoClient against moto', () => {
  it('takes a new user from a temporary password through TOTP enrolment, then signs in with TOTP, refreshes and signs out', async () => {
    const cognito = portalClient('encoded-device-data');
    await createUser('reader.kim');

    // First sign-in: SRP, then Cognito wants a new password, then TOTP enrolment.
    const first = expectKind(await cognito.signIn('reader.kim', 'Temporary-Pass-1'), 'newPassword');
    const init = calls.find((c) => c.target.endsWith('InitiateAuth'))!;
    expect(init.body).toMatchObject({ AuthFlow: 'USER_SRP_AUTH', ClientId: clientId, AuthParameters: { USERNAME: 'reader.kim' }, UserContextData: { EncodedData: 'encoded-device-data' } });
    expect(String((init.body.AuthParameters as Record<string, string>).SRP_A)).toMatch(/^[0-9a-f]{700,}$/);
    const verifier = calls.find((c) => c.body.ChallengeName === 'PASSWORD_VERIFIER')!;
    expect(verifier.body.ChallengeResponses).toMatchObject({ USERNAME: 'reader.kim', PASSWORD_CLAIM_SIGNATURE: expect.stringMatching(/^[A-Za-z0-9+/]{43}=$/), TIMESTAMP: expect.stringMatching(/^\w{3} \w{3} \d{1,2} \d\d:\d\d:\d\d UTC \d{4}$/) });

    const setup = expectKind(await cognito.completeNewPassword(first, 'Brand-New-Pass-2'), 'mfaSetup');
    const { secret, session } = await cognito.associateSoftwareToken({ session: setup.session });
    expect(secret).toBe(MOTO_TOTP_SECRET);
    await expect(cognito.verifySoftwareToken({ session: session ?? setup.session }, '000000')).rejects.toMatchObject({ code: 'CodeMismatchException' });
    // freshCode: moto checks a code against the current 30-s window only, so a code taken in a
    // window's last moments can reach it after the window turned (CI saw 'Code mismatch').
    const verified = await cognito.verifySoftwareToken({ session: session ?? setup.session }, await freshCode(secret), 'Kim phone');
    const done = expectKind(await cognito.completeMfaSetup(setup.username, verified.session!), 'done');
    expect(done.tokens.refreshToken).toBeTruthy();

    // A later sign-in asks for the TOTP code; a wrong one is refused as such.
    const mfa = expectKind(await cognito.signIn('reader.kim', 'Brand-New-Pass-2'), 'totp');
    await expect(cognito.answerTotp(mfa, '000000')).rejects.toMatchObject({ name: 'CognitoError', code: 'CodeMismatchException' });
    const again = expectKind(await cognito.signIn('reader.kim', 'Brand-New-Pass-2'), 'totp');
    const signedIn = expectKind(await cognito.answerTotp(again, await freshCode(secret)), 'done');
    const user = await admin.send(new GetUserCommand({ AccessToken: signedIn.tokens.accessToken }));
    expect(user.Username).toBe('reader.kim');

    // Refresh keeps the refresh token and gives a working access token.
    const refreshed = await cognito.refresh(signedIn.tokens.refreshToken!);
    expect(refreshed.refreshToken).toBeUndefined();
    expect((await admin.send(new GetUserCommand({ AccessToken: refreshed.accessToken }))).Username).toBe('reader.kim');

    // Global sign-out: the refresh token no longer works.
    await cognito.globalSignOut(refreshed.accessToken);
    await expect(cognito.refresh(signedIn.tokens.refreshToken!)).rejects.toMatchObject({ code: 'NotAuthorizedException' });
  });

  it('sends no UserContextData when the page has none, and reports Cognito errors by name', async () => {
    const cognito = portalClient();
    calls.length = 0;
    await expect(cognito.signIn('nobody', 'whatever-Pass-1')).rejects.toMatchObject({ code: 'UserNotFoundException' });
    expect(calls[0].body).not.toHaveProperty('UserContextData');
    const err = await cognito.refresh('not-a-token').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CognitoError);
    expect((err as CognitoError).status).toBe(400);
  });
});

describe('RevokeToken (moto has none: checked against a recording endpoint)', () => {
  it('posts the refresh token and client id to RevokeToken', async () => {
    let seen: { target?: string; body?: string } = {};
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen = { target: req.headers['x-amz-target'] as string, body };
        res.writeHead(200, { 'Content-Type': 'application/x-amz-json-1.1' }).end('{}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    await new CognitoClient({ region: 'ap-northeast-2', userPoolId: 'ap-northeast-2_x', clientId: 'client-1', endpoint }).revokeToken('refresh-123');
    server.close();
    expect(seen.target).toBe('AWSCognitoIdentityProviderService.RevokeToken');
    expect(JSON.parse(seen.body!)).toEqual({ Token: 'refresh-123', ClientId: 'client-1' });
  });
});

describe('stringList', () => {
  it("reads Cognito's JSON-string lists and moto's arrays alike", () => {
    expect(stringList('["SOFTWARE_TOKEN_MFA","SMS_MFA"]')).toEqual(['SOFTWARE_TOKEN_MFA', 'SMS_MFA']);
    expect(stringList(['SOFTWARE_TOKEN_MFA'])).toEqual(['SOFTWARE_TOKEN_MFA']);
    expect(stringList(undefined)).toEqual([]);
    expect(stringList('SMS_MFA')).toEqual(['SMS_MFA']);
  });
});
