/** The AppStream client, once per container (see ./dynamodb.ts for why one module per client). */
import { AppStreamClient } from '@aws-sdk/client-appstream';

let appstream: AppStreamClient | undefined;

export function appStreamClient(): AppStreamClient {
  appstream ??= new AppStreamClient({});
  return appstream;
}
