import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { DefinitionBody, StateMachine, StateMachineType } from 'aws-cdk-lib/aws-stepfunctions';
import { Hookflow } from '../../lib/hookflow';
import { HookflowStack } from '../../lib/hookflow-stack';

/** Issue 14, item 4: defects of the construct found by review, each pinned by a test that failed before its fix. */

/** `aws:cdk:bundling-stacks: []` skips esbuild: these tests read the template, not the bundles. */
const newApp = () => new App({ context: { 'aws:cdk:bundling-stacks': [] } });
const env = { account: '123456789012', region: 'eu-west-1' };
const definitionBody = DefinitionBody.fromString('{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}');

describe('the workflow type of a bound state machine', () => {
  const setup = () => {
    const stack = new Stack(newApp(), 'Own', { env });
    const hookflow = new Hookflow(stack, 'Hookflow');
    const imported = StateMachine.fromStateMachineArn(
      stack,
      'Imported',
      'arn:aws:states:eu-west-1:123456789012:stateMachine:orders-express',
    );
    const express = new StateMachine(stack, 'Express', { stateMachineType: StateMachineType.EXPRESS, definitionBody });
    return { stack, hookflow, imported, express };
  };

  it.each([
    ['bindFlow', 'flow orders', (h: Hookflow, sm: StateMachine) => h.bindFlow('orders', sm)],
    [
      'addClientWebhook',
      'client webhook acme/orders',
      (h: Hookflow, sm: StateMachine) =>
        h.addClientWebhook({ client: 'acme', name: 'orders', workflow: sm, runAs: 'u' }),
    ],
    [
      'addClientWebhook (devWorkflow)',
      'client webhook acme/orders \\(devWorkflow\\)',
      (h: Hookflow, sm: StateMachine, express: StateMachine) =>
        h.addClientWebhook({ client: 'acme', name: 'orders', workflow: express, devWorkflow: sm, runAs: 'u' }),
    ],
    [
      'addInboundWorkflow',
      'inbound workflow orders',
      (h: Hookflow, sm: StateMachine) =>
        h.addInboundWorkflow({ name: 'orders', workflowId: '0b6e5e5c-4c3f-4c53-9a3c-0d1e7f0a1b2c', stateMachine: sm }),
    ],
    [
      'addEventWorkflow',
      'event workflow orders',
      (h: Hookflow, sm: StateMachine) => h.addEventWorkflow({ ref: 'orders', stateMachine: sm }),
    ],
    [
      'addWebhookWorkflow',
      'webhook workflow acme/orders',
      (h: Hookflow, sm: StateMachine) => h.addWebhookWorkflow({ orgId: 'acme', id: 'orders', stateMachine: sm }),
    ],
  ])('%s refuses a state machine imported by ARN without a type, naming the binding', (_, binding, bind) => {
    const { hookflow, imported, express } = setup();

    expect(() => bind(hookflow, imported as StateMachine, express)).toThrow(
      new RegExp(`^${binding}: Own/Imported is imported, so its workflow type is unknown: pass type`),
    );
  });

  it('registers an imported Express workflow as EXPRESS when told, and lets the client webhook sync-start it', () => {
    const { stack, hookflow, imported } = setup();

    hookflow.addClientWebhook({ client: 'acme', name: 'orders', workflow: imported, type: 'EXPRESS', runAs: 'u' });

    const template = Template.fromStack(stack);
    const item = Object.values(template.findResources('Custom::AWS')).find((r) =>
      JSON.stringify(r.Properties.Create).includes('CLIENTWEBHOOK#acme#orders'),
    )!;
    expect(JSON.stringify(item.Properties.Create)).toContain('{\\"S\\":\\"EXPRESS\\"}');
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^HookflowClientWebhookRole') }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 'states:StartSyncExecution',
            Resource: 'arn:aws:states:eu-west-1:123456789012:stateMachine:orders-express',
          }),
        ]),
      },
    });
  });

  it('reads the type of a state machine built in CDK, and refuses a type that contradicts it', () => {
    const { hookflow, express } = setup();

    expect(() => hookflow.bindFlow('orders', express, { type: 'STANDARD' })).toThrow(
      /^flow orders: type STANDARD given, but Own\/Express is EXPRESS$/,
    );
  });

  it('refuses an imported webhook workflow declared EXPRESS: process records need a STANDARD one', () => {
    const { hookflow, imported } = setup();

    expect(() =>
      hookflow.addWebhookWorkflow({ orgId: 'acme', id: 'orders', stateMachine: imported, type: 'EXPRESS' }),
    ).toThrow(/must be a STANDARD state machine/);
  });
});

describe('two reference stacks in one account and region', () => {
  it('repeat no physical name (state machines, log groups, or any other named resource)', () => {
    const app = newApp();
    const stacks = ['HookflowBlue', 'HookflowGreen'].map((id) => new HookflowStack(app, id, { demo: true, env }));

    // CloudFormation names a resource's physical-name property after its type: StateMachineName, LogGroupName...
    // Two are unique only within their parent, not the account: an inline policy's name (per role) and a stage's
    // name (per API).
    const scopedToParent = new Set(['AWS::IAM::Policy', 'AWS::ApiGatewayV2::Stage']);
    const names = stacks.flatMap((stack) =>
      Object.values(
        Template.fromStack(stack).toJSON().Resources as Record<
          string,
          { Type: string; Properties?: Record<string, unknown> }
        >,
      )
        .filter((resource) => !scopedToParent.has(resource.Type))
        .map((resource) => resource.Properties?.[`${resource.Type.split('::')[2]}Name`])
        .filter((name) => name !== undefined)
        .map((name) => JSON.stringify(name)),
    );

    expect(names.filter((name) => name.includes('hookflow-')).length).toBeGreaterThan(20);
    expect(names.filter((name, i) => names.indexOf(name) !== i)).toEqual([]);
  });
});

describe('the dead-letter alarm', () => {
  it('notifies the actions given as deadLetterAlarmActions', () => {
    const stack = new Stack(newApp(), 'Own', { env });
    const topic = new Topic(stack, 'Oncall');

    new Hookflow(stack, 'Hookflow', { deadLetterAlarmActions: [new SnsAction(topic)] });

    Template.fromStack(stack).hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      AlarmActions: [{ Ref: Match.stringLikeRegexp('^Oncall') }],
    });
  });
});
