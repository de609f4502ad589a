import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';

/**
 * Turns on AppStream usage reports (daily session and application CSVs in the account's
 * `appstream-logs-*` bucket: who streamed, when, from where, with which transfer settings). There is
 * no CloudFormation type for the subscription, so a custom resource calls the API. The subscription
 * is per account and region and may serve other studies, so deleting the stack leaves it on.
 */
export class UsageReports extends Construct {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    const stack = Stack.of(this);
    const call: cr.AwsSdkCall = {
      service: 'AppStream',
      action: 'createUsageReportSubscription',
      physicalResourceId: cr.PhysicalResourceId.of(`appstream-usage-reports-${stack.region}`),
    };
    new cr.AwsCustomResource(this, 'Subscription', {
      onCreate: call,
      onUpdate: call,
      // CreateUsageReportSubscription has no resource-level permissions.
      policy: cr.AwsCustomResourcePolicy.fromStatements([
        new iam.PolicyStatement({ actions: ['appstream:CreateUsageReportSubscription'], resources: ['*'] }),
      ]),
      installLatestAwsSdk: false,
    });
  }
}
