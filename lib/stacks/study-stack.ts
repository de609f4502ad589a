import { Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { StudyConfig } from '../config/schema';

export interface StudyStackProps extends StackProps {
  readonly study: StudyConfig;
}

/**
 * A stack of one study. Its availability zones are the study file's (`network.availabilityZones`,
 * required with `region`): the VPC checks the zones it is given against the stack's, and for a
 * stack with a concrete account and region CDK would look those up in the account (a context
 * lookup that needs credentials and writes cdk.context.json). Synth never looks anything up.
 */
export abstract class StudyStack extends Stack {
  private readonly studyZones?: readonly string[];

  constructor(scope: Construct, id: string, props: StudyStackProps) {
    super(scope, id, props);
    this.studyZones = props.study.network.availabilityZones;
  }

  override get availabilityZones(): string[] {
    return this.studyZones ? [...this.studyZones] : super.availabilityZones;
  }
}
