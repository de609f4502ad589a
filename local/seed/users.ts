/**
 * The local room's user pool and demo users. The pool is set up as the deployment's (MFA required,
 * TOTP only, `custom:site`, the role groups, a portal client without a secret that allows exactly
 * `ALLOW_USER_SRP_AUTH` and `ALLOW_REFRESH_TOKEN_AUTH`), and demo users sign in through the same
 * code as the portal (portal/auth/cognito.ts): SRP, then TOTP enrolment with moto's fixed secret,
 * so each enrolled user's codes are `npm run totp` (../totp.ts).
 */
import {
  AdminAddUserToGroupCommand,
  AdminCreateUserCommand,
  AdminSetUserPasswordCommand,
  CreateGroupCommand,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  SetUserPoolMfaConfigCommand,
  type CognitoIdentityProviderClient,
} from '@aws-sdk/client-cognito-identity-provider';
import { CognitoClient, CognitoError, type Tokens } from '../../portal/auth/cognito';
import { ROLES, type Role } from '../../lambda/runtime/auth';
import { freshCode } from '../totp';

/** Every enrolled demo user's password (moto's SRP does not check passwords: see the README). */
export const DEMO_PASSWORD = 'ReadRoom-demo-2026!';
/** The new reader's temporary password: the first sign-in asks for a new one, then TOTP enrolment. */
export const TEMPORARY_PASSWORD = 'Welcome-demo-2026!';

export interface DemoUserSpec {
  username: string;
  roles: Role[];
  /** `custom:site`; readers never get cases of their own site. */
  site?: string;
  /** What the user is for, as `npm start` prints it. */
  about: string;
  /** Signs in for the first time in the portal (temporary password, then TOTP enrolment). */
  fresh?: boolean;
}

export const DEMO_USERS: readonly DemoUserSpec[] = [
  { username: 'reader.kim', roles: ['reader'], site: 'SNUH', about: 'reader at SNUH: reads AMC cases; open, draft and submitted reads' },
  { username: 'reader.lee', roles: ['reader'], site: 'SNUH', about: 'reader at SNUH: one case waiting (shared with reader.new)' },
  { username: 'reader.yoon', roles: ['reader'], site: 'SNUH', about: 'reader at SNUH: open and draft reads' },
  { username: 'reader.park', roles: ['reader'], site: 'AMC', about: 'reader at AMC: reads SNUH cases; submitted, draft and open reads' },
  { username: 'reader.jung', roles: ['reader'], site: 'AMC', about: 'reader at AMC: submitted, draft and open reads' },
  { username: 'reader.new', roles: ['reader'], site: 'SNUH', about: 'new reader at SNUH: first sign-in (new password, authenticator set-up), one case waiting', fresh: true },
  { username: 'adj.choi', roles: ['adjudicator'], site: 'SMC', about: 'adjudicator at SMC: one open adjudication' },
  { username: 'coord.han', roles: ['coordinator'], about: 'coordinator: progress, assignment, export, audit log' },
];

export interface DemoPool {
  userPoolId: string;
  clientId: string;
  issuer: string;
}

export interface DemoUser extends DemoUserSpec {
  sub: string;
  /** Tokens of the seed's own sign-in (enrolled users only). */
  tokens?: Tokens;
}

export async function createDemoPool(cognito: CognitoIdentityProviderClient, region: string): Promise<DemoPool> {
  const pool = await cognito.send(
    new CreateUserPoolCommand({
      PoolName: 'readroom-demo',
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
      MfaConfiguration: 'ON',
      Schema: [{ Name: 'site', AttributeDataType: 'String', Mutable: true }],
    }),
  );
  const userPoolId = pool.UserPool!.Id!;
  await cognito.send(new SetUserPoolMfaConfigCommand({ UserPoolId: userPoolId, MfaConfiguration: 'ON', SoftwareTokenMfaConfiguration: { Enabled: true } }));
  const client = await cognito.send(
    new CreateUserPoolClientCommand({
      UserPoolId: userPoolId,
      ClientName: 'portal',
      GenerateSecret: false,
      ExplicitAuthFlows: ['ALLOW_USER_SRP_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
      // Real Cognito puts readable attributes in the ID token; moto only those listed here.
      ReadAttributes: ['email', 'email_verified', 'custom:site'],
    }),
  );
  await Promise.all(ROLES.map((GroupName) => cognito.send(new CreateGroupCommand({ UserPoolId: userPoolId, GroupName }))));
  return { userPoolId, clientId: client.UserPoolClient!.ClientId!, issuer: `https://cognito-idp.${region}.amazonaws.com/${userPoolId}` };
}

/** Creates the user (and, unless `fresh`, gives them the demo password and enrols their authenticator). */
export async function createDemoUser(cognito: CognitoIdentityProviderClient, pool: DemoPool, spec: DemoUserSpec, cognitoEndpoint: string, region: string): Promise<DemoUser> {
  const created = await cognito.send(
    new AdminCreateUserCommand({
      UserPoolId: pool.userPoolId,
      Username: spec.username,
      TemporaryPassword: TEMPORARY_PASSWORD,
      MessageAction: 'SUPPRESS',
      UserAttributes: [
        { Name: 'email', Value: `${spec.username}@example.org` },
        { Name: 'email_verified', Value: 'true' },
        ...(spec.site ? [{ Name: 'custom:site', Value: spec.site }] : []),
      ],
    }),
  );
  for (const GroupName of spec.roles) await cognito.send(new AdminAddUserToGroupCommand({ UserPoolId: pool.userPoolId, Username: spec.username, GroupName }));
  const sub = created.User!.Attributes!.find((a) => a.Name === 'sub')!.Value!;
  if (spec.fresh) return { ...spec, sub };
  await cognito.send(new AdminSetUserPasswordCommand({ UserPoolId: pool.userPoolId, Username: spec.username, Password: DEMO_PASSWORD, Permanent: true }));
  const tokens = await signIn({ region, userPoolId: pool.userPoolId, clientId: pool.clientId, endpoint: cognitoEndpoint }, spec.username, DEMO_PASSWORD);
  return { ...spec, sub, tokens };
}

/**
 * Signs in as the portal does (SRP; enrolment with moto's TOTP secret the first time; a TOTP code
 * otherwise) and returns the tokens.
 */
export async function signIn(config: { region: string; userPoolId: string; clientId: string; endpoint: string }, username: string, password: string): Promise<Tokens> {
  const cognito = new CognitoClient(config);
  let step = await cognito.signIn(username, password);
  if (step.kind === 'mfaSetup') {
    const { secret, session } = await cognito.associateSoftwareToken({ session: step.session });
    const setup = session ?? step.session;
    const verified = await withFreshCode((code) => cognito.verifySoftwareToken({ session: setup }, code), secret);
    step = await cognito.completeMfaSetup(step.username, verified.session ?? setup);
  }
  if (step.kind === 'totp') step = await cognito.answerTotp(step, await freshCode(undefined, 8));
  if (step.kind !== 'done') throw new Error(`demo sign-in of ${username} stopped at ${step.kind}`);
  return step.tokens;
}

/**
 * Runs `send` with a current code; when Cognito answers CodeMismatch (on a loaded machine the
 * request can reach moto after the code's window turned) it tries once more with the new
 * window's code, as a person would.
 */
async function withFreshCode<T>(send: (code: string) => Promise<T>, secret: string): Promise<T> {
  try {
    return await send(await freshCode(secret, 4));
  } catch (e) {
    if (!(e instanceof CognitoError) || e.code !== 'CodeMismatchException') throw e;
    // The window has turned since the first code: the new one's code, with no wait (a margin of
    // 30 s waited out the whole new window).
    return send(await freshCode(secret, 4));
  }
}
