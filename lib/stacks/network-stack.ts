import { Construct } from 'constructs';
import { studyNames } from '../config/names';
import { StudyNetwork, retentionDays } from '../constructs';
import { removalPolicyOf } from './removal';
import { StudyStack, StudyStackProps } from './study-stack';

export type NetworkStackProps = StudyStackProps;

/** The study VPC and its endpoints. Long-lived, holds no data. */
export class NetworkStack extends StudyStack {
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
