import { Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { SdkCall } from './sdk-call';

export interface UsageReportsProps {
  /** Encrypts the log group of the deploy-time function that makes the call. */
  readonly encryptionKey: kms.IKey;
  /** Retention of that log group. */
  readonly logRetention: logs.RetentionDays;
}

/**
 * Turns on AppStream usage reports (daily session and application CSVs in the account's
 * `appstream-logs-*` bucket: who streamed, when, from where, with which transfer settings). There is
 * no CloudFormation type for the subscription, so a custom resource calls the API. The subscription
 * is per account and region and may serve other studies, so deleting the stack leaves it on.
 */
export class UsageReports extends Construct {
  constructor(scope: Construct, id: string, props: UsageReportsProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const call: cr.AwsSdkCall = {
      service: 'AppStream',
      action: 'createUsageReportSubscription',
      physicalResourceId: cr.PhysicalResourceId.of(`appstream-usage-reports-${stack.region}`),
    };
    const subscription = new SdkCall(this, 'Subscription', {
      onCreate: call,
      onUpdate: call,
      statements: [new iam.PolicyStatement({ actions: ['appstream:CreateUsageReportSubscription'], resources: ['*'] })],
      encryptionKey: props.encryptionKey,
      logRetention: props.logRetention,
    });
    Validations.of(subscription.policy.node.defaultChild!).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'appstream:CreateUsageReportSubscription acts on the account and region, not on a resource, and supports no resource-level permissions; it is the only action granted and only turns reporting on.',
    });
  }
}
