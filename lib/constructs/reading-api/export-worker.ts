import { Duration, Names } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AppFunction } from '../app-function';

/**
 * Starts the export worker from the reading table's stream on the insert of a queued export job
 * (so queuing is one conditional PutItem: no queue to keep consistent with the job, and no SQS
 * endpoint in a VPC without internet), and on a job put back in the queue by a worker whose 15
 * minutes were running out (a MODIFY to `queued`: the next worker resumes from the checkpoint;
 * the stream delivers a partition's records in order, so it starts after the previous one ended).
 * One job per invocation; a redelivered record is a no-op (the job is taken conditionally); a
 * record that still fails after the retries goes to the worker's dead-letter queue.
 *
 * Added to the worker directly, with the id DynamoEventSource gives it: DynamoEventSource would
 * also grant the table key without kms:ViaService, while the role already holds it through DynamoDB.
 */
export class ExportJobTrigger extends lambda.EventSourceMapping {
  constructor(worker: AppFunction, table: dynamodb.ITableV2) {
    super(worker, `DynamoDBEventSource:${Names.nodeUniqueId(table.node)}`, {
      target: worker,
      eventSourceArn: table.tableStreamArn!,
      startingPosition: lambda.StartingPosition.LATEST,
      batchSize: 1,
      retryAttempts: 2,
      maxRecordAge: Duration.hours(1),
      // The worker's own dead-letter queue, which its role may already send to (its asynchronous
      // DLQ); CDK's SqsDlq would add a second, wildcard KMS grant.
      onFailure: ownDeadLetterQueue(worker.deadLetterQueue),
      filters: [
        lambda.FilterCriteria.filter({
          eventName: lambda.FilterRule.or('INSERT', 'MODIFY'),
          dynamodb: { NewImage: { type: { S: lambda.FilterRule.isEqual('export') }, status: { S: lambda.FilterRule.isEqual('queued') } } },
        }),
      ],
    });
    iam.Grant.addToPrincipal({
      grantee: worker,
      actions: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:ListStreams'],
      resourceArns: [table.tableStreamArn!],
    });
  }
}

/**
 * An on-failure destination that is the function's own dead-letter queue, adding no grant: the
 * role already holds sqs:SendMessage on it (asynchronous DLQ) and the study key through SQS.
 */
function ownDeadLetterQueue(queue: sqs.IQueue): lambda.IEventSourceDlq {
  return { bind: () => ({ destination: queue.queueArn }) };
}
