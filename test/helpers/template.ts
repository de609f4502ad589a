/**
 * Small readers over synthesized CloudFormation JSON, for checks that `Template.hasResourceProperties`
 * cannot express (walking every resource, following references across stacks).
 */
import { Stack, TagManager, CfnResource, Token } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { IConstruct } from 'constructs';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export interface CfnResourceJson {
  readonly Type: string;
  readonly Properties?: Record<string, Json>;
  readonly DependsOn?: string | string[];
  readonly DeletionPolicy?: string;
  readonly UpdateReplacePolicy?: string;
  readonly CreationPolicy?: Record<string, Json>;
  readonly Metadata?: Record<string, Json>;
}
export interface CfnTemplateJson {
  readonly Resources: Record<string, CfnResourceJson>;
  readonly Outputs?: Record<string, { Value: Json }>;
}

export const json = (template: Template): CfnTemplateJson => template.toJSON() as CfnTemplateJson;

/** Logical id → resource, for one type. */
export function resourcesOfType(template: Template | CfnTemplateJson, type: string): Record<string, CfnResourceJson> {
  const resources = (template instanceof Template ? json(template) : template).Resources;
  return Object.fromEntries(Object.entries(resources).filter(([, r]) => r.Type === type));
}

/** The only resource of a type (fails the test when there is not exactly one). */
export function onlyResource(template: Template | CfnTemplateJson, type: string): [string, CfnResourceJson] {
  const found = Object.entries(resourcesOfType(template, type));
  if (found.length !== 1) throw new Error(`expected exactly one ${type}, found ${found.length}`);
  return found[0];
}

/** Every value in a JSON tree that satisfies the predicate, with its key. */
export function collect(value: Json | undefined, pick: (key: string, v: Json) => boolean, key = ''): Array<{ key: string; value: Json }> {
  const out: Array<{ key: string; value: Json }> = [];
  const walk = (k: string, v: Json | undefined) => {
    if (v === undefined) return;
    if (pick(k, v)) out.push({ key: k, value: v });
    if (Array.isArray(v)) v.forEach((item) => walk(k, item));
    else if (v && typeof v === 'object') Object.entries(v).forEach(([ck, cv]) => walk(ck, cv));
  };
  walk(key, value);
  return out;
}

/** Follows `{ "Fn::GetStackOutput": … }` or a Ref/GetAtt to the logical id it finally names. */
export function referencedLogicalId(value: Json, templates: Record<string, CfnTemplateJson>): string | undefined {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined;
  if (typeof value.Ref === 'string') return value.Ref;
  const getAtt = value['Fn::GetAtt'];
  if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') return getAtt[0];
  const out = value['Fn::GetStackOutput'] as { StackName?: string; OutputName?: string } | undefined;
  if (out?.StackName && out.OutputName) {
    const producer = templates[out.StackName];
    const output = producer?.Outputs?.[out.OutputName];
    return output ? referencedLogicalId(output.Value, templates) : undefined;
  }
  return undefined;
}

/** Renders a string-ish intrinsic (`Fn::Join`, `Ref`, …) as text, with `«…»` around what is unknown at synth. */
export function render(value: Json): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const join = value['Fn::Join'];
    if (Array.isArray(join) && typeof join[0] === 'string' && Array.isArray(join[1])) return join[1].map(render).join(join[0]);
  }
  return `«${JSON.stringify(value)}»`;
}

/** Tag key → value as rendered on a resource, whatever the tag property's shape (list or map). */
export function renderedTags(resource: CfnResourceJson, propertyName = 'Tags'): Record<string, string> {
  const tags = resource.Properties?.[propertyName];
  if (Array.isArray(tags)) {
    return Object.fromEntries(tags.map((t) => t as { Key: string; Value: string }).map((t) => [t.Key, t.Value]));
  }
  return (tags as Record<string, string>) ?? {};
}

/**
 * Every taggable L1 resource under a scope, with the name of its tag property in the template
 * (CDK's TagManager knows both; resources CloudFormation cannot tag have none).
 */
export function taggableResources(scope: IConstruct): Array<{ resource: CfnResource; logicalId: string; tagProperty: string }> {
  return scope.node
    .findAll()
    .filter((c): c is CfnResource => CfnResource.isCfnResource(c))
    .flatMap((resource) => {
      const manager = TagManager.isTaggable(resource) ? resource.tags : TagManager.isTaggableV2(resource) ? resource.cdkTagManager : undefined;
      if (!manager) return [];
      const name = manager.tagPropertyName;
      const stack = Stack.of(resource);
      const logicalId = stack.resolve(resource.logicalId) as string;
      if (Token.isUnresolved(logicalId)) return [];
      return [{ resource, logicalId, tagProperty: name.charAt(0).toUpperCase() + name.slice(1) }];
    });
}
