import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

/** The roles ReadRoom knows; each becomes a Cognito group checked by the API. */
export const READER_ROLES = ['reader', 'adjudicator', 'coordinator', 'admin'] as const;
export type ReaderRole = (typeof READER_ROLES)[number];

export interface ReaderDirectoryProps {
  /** Study display name, used in the invitation e-mail. */
  readonly studyName: string;
  /** Groups to create. */
  readonly groups: readonly ReaderRole[];
  /**
   * Whether TOTP MFA is required at sign-in.
   * @default true
   */
  readonly mfaRequired?: boolean;
  /**
   * Cognito threat protection (compromised credentials, adaptive authentication). Needs the Plus
   * feature plan, offered in most regions.
   * @default true
   */
  readonly threatProtection?: boolean;
  /** Lifetime of access and ID tokens. */
  readonly tokenValidity: Duration;
  readonly removalPolicy: RemovalPolicy;
  /**
   * Reach the pool's reader group from inside this VPC: a `cognito-idp` interface endpoint (private
   * DNS, in this security group) whose policy allows only ListUsersInGroup on this pool.
   * @default - no endpoint
   */
  readonly vpcEndpoint?: { readonly vpc: ec2.IVpc; readonly securityGroup: ec2.ISecurityGroup };
}

/**
 * The readers' identities: an administrator-only user pool (no self sign-up), TOTP MFA, a strong
 * password policy, threat protection, one group per role, and a public portal client (no secret can
 * live in a browser) that allows exactly the flows the portal uses: SRP sign-in and refresh.
 */
export class ReaderDirectory extends Construct {
  readonly userPool: cognito.UserPool;
  readonly portalClient: cognito.UserPoolClient;
  /** The `cognito-idp` interface endpoint, when `vpcEndpoint` is given. */
  readonly endpoint?: ec2.InterfaceVpcEndpoint;

  constructor(scope: Construct, id: string, props: ReaderDirectoryProps) {
    super(scope, id);
    const threatProtection = props.threatProtection ?? true;

    this.userPool = new cognito.UserPool(this, 'UserPool', {
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      signInCaseSensitive: false,
      standardAttributes: { email: { required: true, mutable: true }, fullname: { required: false, mutable: true } },
      // Site of the reader's hospital, for conflict-of-interest exclusion in assignment.
      customAttributes: { site: new cognito.StringAttribute({ minLen: 0, maxLen: 64, mutable: true }) },
      mfa: props.mfaRequired === false ? cognito.Mfa.OPTIONAL : cognito.Mfa.REQUIRED,
      mfaSecondFactor: { otp: true, sms: false },
      passwordPolicy: {
        minLength: 14,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
      },
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      userInvitation: {
        emailSubject: `${props.studyName}: ReadRoom 초대 / invitation`,
        emailBody:
          `${props.studyName} 판독실 계정이 만들어졌습니다. 아이디 {username}, 임시 비밀번호 {####}. 첫 로그인 때 비밀번호와 OTP 앱을 설정합니다.<br/><br/>` +
          `Your ${props.studyName} reading-room account is ready. Username {username}, temporary password {####}. At first sign-in you set a new password and an authenticator app.`,
      },
      featurePlan: threatProtection ? cognito.FeaturePlan.PLUS : cognito.FeaturePlan.ESSENTIALS,
      ...(threatProtection ? { standardThreatProtectionMode: cognito.StandardThreatProtectionMode.FULL_FUNCTION } : {}),
      deletionProtection: props.removalPolicy === RemovalPolicy.RETAIN,
      removalPolicy: props.removalPolicy,
    });

    for (const role of props.groups) {
      new cognito.CfnUserPoolGroup(this, `Group-${role}`, {
        userPoolId: this.userPool.userPoolId,
        groupName: role,
        description: `ReadRoom ${role}s`,
      });
    }

    this.portalClient = this.userPool.addClient('PortalClient', {
      generateSecret: false,
      // ALLOW_USER_SRP_AUTH and ALLOW_REFRESH_TOKEN_AUTH (CDK adds the latter), nothing else: the
      // portal signs in through the Identity Provider API (portal/auth/), never the hosted UI, so
      // the client has no OAuth flow and no callback URL (CDK would otherwise default to the
      // implicit and code grants with https://example.com).
      authFlows: { userSrp: true },
      disableOAuth: true,
      accessTokenValidity: props.tokenValidity,
      idTokenValidity: props.tokenValidity,
      refreshTokenValidity: Duration.hours(12),
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
      supportedIdentityProviders: [cognito.UserPoolClientIdentityProvider.COGNITO],
      // Without this list every attribute is writable by the signed-in user: a reader could change
      // their own `custom:site` and get around the same-site rule, or their e-mail. Only the
      // display name is theirs to change; site and e-mail are set by an administrator.
      writeAttributes: new cognito.ClientAttributes().withStandardAttributes({ fullname: true }),
    });

    if (props.vpcEndpoint) this.endpoint = this.createEndpoint(scope, props.vpcEndpoint);
  }

  /**
   * Bulk assignment reads the reader group and each reader's site from the directory, from inside
   * the isolated VPC: a cognito-idp interface endpoint whose policy allows that one call on this
   * pool only. It sits beside the pool it names (a network stack cannot name it: the pool's stack
   * depends on that one). Cognito refuses requests through an endpoint for a user pool that has a
   * domain (managed login): the pool must keep none (test/infra/data-stack.test.ts).
   *
   * Created in the directory's parent scope, with the construct id it had when the data stack built
   * it, so its logical id (and the deployed endpoint) stay what they were.
   */
  private createEndpoint(scope: Construct, where: { readonly vpc: ec2.IVpc; readonly securityGroup: ec2.ISecurityGroup }): ec2.InterfaceVpcEndpoint {
    const endpoint = new ec2.InterfaceVpcEndpoint(scope, 'DirectoryEndpoint', {
      vpc: where.vpc,
      service: ec2.InterfaceVpcEndpointAwsService.COGNITO_IDP,
      securityGroups: [where.securityGroup],
      open: false,
      privateDnsEnabled: true,
    });
    endpoint.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ReaderGroupOfThisPoolOnly',
        principals: [new iam.AnyPrincipal()],
        actions: ['cognito-idp:ListUsersInGroup'],
        resources: [this.userPool.userPoolArn],
        conditions: { StringEquals: { 'aws:PrincipalAccount': Stack.of(this).account } },
      }),
    );
    return endpoint;
  }
}
