import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { AppFunction } from '../app-function';
import { CASES_PREFIX } from '../scans-store';

export interface ManifestUploadedRuleProps {
  readonly scansBucket: s3.IBucket;
  /** The case registry (`lambda/register-case`). */
  readonly registry: AppFunction;
}

/**
 * Registers a case when its manifest (`cases/<caseId>/manifest.json`) is uploaded: S3 `Object
 * Created` events through EventBridge, so the data stack needs no reference back to the
 * (destroyable) reading stack; retried, then the registry's dead-letter queue.
 */
export class ManifestUploadedRule extends events.Rule {
  constructor(scope: Construct, id: string, props: ManifestUploadedRuleProps) {
    super(scope, id, {
      description: 'Registers a case when its manifest is uploaded',
      eventPattern: {
        source: ['aws.s3'],
        detailType: ['Object Created'],
        detail: { bucket: { name: [props.scansBucket.bucketName] }, object: { key: [{ wildcard: `${CASES_PREFIX}*/manifest.json` }] } },
      },
      targets: [new targets.LambdaFunction(props.registry, { deadLetterQueue: props.registry.deadLetterQueue, retryAttempts: 4 })],
    });
  }
}
