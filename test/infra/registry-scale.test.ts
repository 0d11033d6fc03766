import { App } from 'aws-cdk-lib';
import { statSync } from 'node:fs';
import { DefinitionBody, StateMachine, StateMachineType } from 'aws-cdk-lib/aws-stepfunctions';
import { HookflowStack } from '../../lib/hookflow-stack';

/**
 * Issue 14: 200 bindings on top of the reference stack must synthesize within every IAM and CloudFormation
 * limit. Each registry record used to add an inline policy to the one custom-resource role, which passed IAM's
 * limit at about 45 bindings.
 *
 * - IAM: "Role policy size cannot exceed 10,240 characters" for all of a role's inline policies together, whitespace
 *   not counted (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html).
 * - CloudFormation: 500 resources per template; a template body of at most 1 MB when uploaded through S3, as
 *   `cdk deploy` does (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html).
 */
const IAM_ROLE_POLICY_CHARACTERS = 10_240;
const CFN_MAX_RESOURCES = 500;
const CFN_MAX_TEMPLATE_BYTES = 1_000_000;
/**
 * A reference (Ref, Fn::GetAtt) is as long in IAM as the value it resolves to. An ARN of a CloudFormation-named
 * resource is about 100 characters (arn:aws:dynamodb:eu-west-1:123456789012:table/<stack>-<id>-<suffix>): count 128.
 */
const RESOLVED_REFERENCE_CHARACTERS = 128;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** The policy document as IAM would store it: references resolved to strings of a realistic length. */
function resolved(value: Json): Json {
  if (Array.isArray(value)) return value.map(resolved);
  if (value !== null && typeof value === 'object') {
    if ('Ref' in value || 'Fn::GetAtt' in value || 'Fn::ImportValue' in value) {
      return 'x'.repeat(RESOLVED_REFERENCE_CHARACTERS);
    }
    if ('Fn::Join' in value) {
      const [separator, parts] = value['Fn::Join'] as [string, Json[]];
      return parts.map((part) => (typeof part === 'string' ? part : (resolved(part) as string))).join(separator);
    }
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolved(v)]));
  }
  return value;
}

const nonWhitespace = (document: Json) => JSON.stringify(resolved(document)).replace(/\s/g, '').length;

describe('200 bindings', () => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new HookflowStack(app, 'Hookflow', {
    demo: true,
    env: { account: '123456789012', region: 'eu-west-1' },
  });
  const definitionBody = DefinitionBody.fromString('{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}');
  const express = new StateMachine(stack, 'ScaleExpress', {
    stateMachineType: StateMachineType.EXPRESS,
    definitionBody,
  });
  const standard = new StateMachine(stack, 'ScaleStandard', { definitionBody });
  for (let i = 0; i < 100; i++) stack.hookflow.bindFlow(`scale-flow-${i}`, i % 2 === 0 ? express : standard);
  for (let i = 0; i < 100; i++) {
    stack.hookflow.addClientWebhook({ client: 'scale', name: `hook-${i}`, workflow: express, runAs: 'scale' });
  }
  const assembly = app.synth();
  const artifact = assembly.getStackByName(stack.stackName);
  const template = artifact.template as {
    Resources: Record<string, { Type: string; Properties?: Record<string, Json> }>;
  };
  const resources = Object.entries(template.Resources);

  it('keeps every role’s inline policies under IAM’s 10,240 characters', () => {
    const characters = new Map<string, number>();
    for (const [id, resource] of resources) {
      if (resource.Type === 'AWS::IAM::Role') {
        const inline = (resource.Properties?.Policies ?? []) as { PolicyDocument: Json }[];
        characters.set(id, (characters.get(id) ?? 0) + inline.reduce((n, p) => n + nonWhitespace(p.PolicyDocument), 0));
      }
      if (resource.Type === 'AWS::IAM::Policy') {
        for (const role of (resource.Properties!.Roles ?? []) as { Ref: string }[]) {
          characters.set(
            role.Ref,
            (characters.get(role.Ref) ?? 0) + nonWhitespace(resource.Properties!.PolicyDocument!),
          );
        }
      }
    }

    const largest = Math.max(...characters.values());
    const [largestRole] = [...characters].find(([, n]) => n === largest)!;
    console.log(
      `[iam] 200 bindings: the largest role's inline policies, ${largestRole}: ${largest} of ${IAM_ROLE_POLICY_CHARACTERS} characters`,
    );
    expect(characters.size).toBeGreaterThan(10);
    expect(largest).toBeLessThanOrEqual(IAM_ROLE_POLICY_CHARACTERS);
  });

  it('stays under CloudFormation’s 500 resources, with one resource per registry item', () => {
    const items = resources.filter(([, r]) => r.Type === 'Custom::AWS').length;

    expect(items).toBeGreaterThanOrEqual(200);
    expect(resources.length).toBeLessThanOrEqual(CFN_MAX_RESOURCES);
    // About one policy per role (a handler's, a state machine's), never one per binding: 200 bindings would be 200.
    const roles = resources.filter(([, r]) => r.Type === 'AWS::IAM::Role').length;
    expect(resources.filter(([, r]) => r.Type === 'AWS::IAM::Policy').length).toBeLessThanOrEqual(roles);
  });

  it('keeps the template file `cdk deploy` uploads under CloudFormation’s 1 MB', () => {
    const bytes = statSync(artifact.templateFullPath).size;

    expect(bytes).toBeLessThanOrEqual(CFN_MAX_TEMPLATE_BYTES);
  });
});
