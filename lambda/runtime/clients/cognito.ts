/** The Cognito user-pool client, once per container (see ./dynamodb.ts for why one module per client). */
import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';

let cognito: CognitoIdentityProviderClient | undefined;

export function cognitoClient(): CognitoIdentityProviderClient {
  cognito ??= new CognitoIdentityProviderClient({});
  return cognito;
}
