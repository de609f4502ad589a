import { RemovalPolicy } from 'aws-cdk-lib';
import { StudyConfig } from '../config/schema';

/** The study's one retention decision, as a CDK removal policy. */
export function removalPolicyOf(study: StudyConfig): RemovalPolicy {
  return study.retention.data === 'retain' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
}
