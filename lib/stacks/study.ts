import { App, Environment, Tags } from 'aws-cdk-lib';
import { StudyConfig } from '../config/schema';
import { studyNames } from '../config/names';
import { DataStack } from './data-stack';
import { NetworkStack } from './network-stack';
import { ReadingStack } from './reading-stack';

/** The three stacks of one study, in deploy order. */
export interface StudyStacks {
  readonly network: NetworkStack;
  readonly data: DataStack;
  readonly reading: ReadingStack;
}

/**
 * Adds one study's stacks to an app: network, then data (stateful), then reading (stateless).
 * Objects pass between them as props; CDK turns them into exports it manages itself.
 */
export function addStudy(app: App, study: StudyConfig): StudyStacks {
  const names = studyNames(study.studyId);
  const env: Environment | undefined = study.account || study.region ? { account: study.account, region: study.region } : undefined;
  const common = { env, description: `ReadRoom reading room for ${study.displayName} (${study.studyId})` };

  const network = new NetworkStack(app, names.networkStack, { ...common, study });
  const data = new DataStack(app, names.dataStack, { ...common, study, vpc: network.network.vpc, endpointSecurityGroup: network.network.endpointSecurityGroup });
  const reading = new ReadingStack(app, names.readingStack, {
    ...common,
    study,
    vpc: network.network.vpc,
    fleetSecurityGroup: network.network.fleetSecurityGroup,
    functionSecurityGroup: network.network.functionSecurityGroup,
    builderNetwork:
      network.network.builderSubnet && network.network.builderSecurityGroup
        ? { subnet: network.network.builderSubnet, securityGroup: network.network.builderSecurityGroup }
        : undefined,
    apiEndpoint: network.network.apiEndpoint,
    key: data.key,
    scansBucket: data.scans.bucket,
    accessLogBucket: data.scans.accessLogBucket,
    scansAccess: data.scans.access,
    userPool: data.readers.userPool,
    portalClient: data.readers.portalClient,
    table: data.reading.table,
  });

  for (const stack of [network, data, reading]) {
    Tags.of(stack).add('readroom:study', study.studyId);
    for (const [key, value] of Object.entries(study.tags)) Tags.of(stack).add(key, value);
  }
  return { network, data, reading };
}
