import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { StudyConfig } from '../../lib/config/schema';
import { CfnTemplateJson, renderedTags, taggableResources } from './template';

/** The tags every resource of a study carries: the study id and the study file's tags. */
export function studyTags(study: StudyConfig): Record<string, string> {
  return { 'readroom:study': study.studyId, ...study.tags };
}

/**
 * Asserts that every taggable resource of the stack (by CDK's TagManager, which knows each type's
 * tag property) carries the study's tags; DynamoDB global tables carry them on each replica.
 */
export function expectStudyTags(stack: Stack, study: StudyConfig): void {
  const template = Template.fromStack(stack).toJSON() as CfnTemplateJson;
  const expected = studyTags(study);
  const checked: string[] = [];
  for (const { logicalId, tagProperty } of taggableResources(stack)) {
    const resource = template.Resources[logicalId];
    if (!resource) continue; // e.g. a resource removed by a condition
    if (resource.Type === 'AWS::DynamoDB::GlobalTable') {
      for (const replica of (resource.Properties?.Replicas ?? []) as Array<{ Tags?: unknown }>) {
        expect({ logicalId, tags: renderedTags({ Type: '', Properties: { Tags: replica.Tags as never } }) }).toEqual({ logicalId, tags: expect.objectContaining(expected) });
      }
    } else {
      expect({ logicalId, tags: renderedTags(resource, tagProperty) }).toEqual({ logicalId, tags: expect.objectContaining(expected) });
    }
    checked.push(logicalId);
  }
  expect(checked.length).toBeGreaterThan(0);
}
