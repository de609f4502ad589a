import { Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { StudyConfig } from '../config/schema';
import { studyNames } from '../config/names';
import { StudyNetwork, retentionDays } from '../constructs';
import { removalPolicyOf } from './removal';

export interface NetworkStackProps extends StackProps {
  readonly study: StudyConfig;
}

/** The study VPC and its endpoints. Long-lived, holds no data. */
export class NetworkStack extends Stack {
  readonly network: StudyNetwork;

  constructor(scope: Construct, id: string, props: NetworkStackProps) {
    super(scope, id, props);
    const { study } = props;
    const names = studyNames(study.studyId);
    this.network = new StudyNetwork(this, 'Network', {
      cidr: study.network.cidr,
      availabilityZones: study.network.availabilityZones,
      flowLogRetention: retentionDays(study.retention.logRetentionDays),
      removalPolicy: removalPolicyOf(study),
      appStream: { fleetName: names.fleet, stackName: names.appStreamStack },
      namePrefix: `readroom-${study.studyId}`,
      imageBuilder: study.imageBuilder !== undefined,
    });
  }
}
