import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { DefinitionBody, Pass, StateGraph, StateMachine, StateMachineType } from 'aws-cdk-lib/aws-stepfunctions';
import { HookflowStack } from '../../lib/hookflow-stack';
import { WaitForEvent } from '../../lib/wait-for-event';
import { loadWorkflowManifest } from '../../workflows/manifest';
import { LAMBDA_TRANSIENT_RETRY, WAIT_BUSY_RETRY, waitForEventStates } from '../../workflows/wait-for-event-states';

/** `aws:cdk:bundling-stacks: []` skips esbuild: these tests read the template, not the bundles. */
const newApp = () => new App({ context: { 'aws:cdk:bundling-stacks': [] } });
const someFunction = (stack: Stack) =>
  new LambdaFunction(stack, 'Waiter', {
    runtime: Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: Code.fromInline('exports.handler = async () => null;'),
  });
type Resource = { Properties: Record<string, unknown> };
const definitionsOf = (template: Template) =>
  Object.values(template.findResources('AWS::StepFunctions::StateMachine') as Record<string, Resource>).map((sm) =>
    JSON.stringify(sm.Properties.DefinitionString),
  );

describe('wait for an event (issue 14: a pattern AWS supports)', () => {
  it('expands hookflow:WaitForEvent into a Lambda .waitForTaskToken task, never a DynamoDB one', () => {
    const approval = loadWorkflowManifest().find((w) => w.name === 'hookflow-approval')!;

    const states = approval.definition.States as Record<string, Record<string, unknown>>;

    // https://docs.aws.amazon.com/step-functions/latest/dg/integrate-optimized.html: DynamoDB is request-response
    // only; Lambda supports Wait for Callback (Standard).
    expect(approval.definitionText).not.toContain('dynamodb');
    expect(states['Wait for approval']).toEqual({
      Type: 'Task',
      Resource: 'arn:${Partition}:states:::lambda:invoke.waitForTaskToken',
      Parameters: {
        FunctionName: '${WaitForEventFunction}',
        Payload: {
          'taskToken.$': '$$.Task.Token',
          'ref.$': '$$.Execution.Name',
          topic: 'approval',
          timeoutSeconds: 3600,
          'executionArn.$': '$$.Execution.Id',
          'enteredTime.$': '$$.State.EnteredTime',
        },
      },
      TimeoutSeconds: 3600,
      ResultPath: '$.approval',
      Retry: [
        {
          ErrorEquals: [
            'Lambda.ClientExecutionTimeoutException',
            'Lambda.ServiceException',
            'Lambda.AWSLambdaException',
            'Lambda.SdkClientException',
          ],
          IntervalSeconds: 2,
          MaxAttempts: 6,
          BackoffRate: 2,
        },
        // The wait's own failures that left nothing behind (a new token writes the wait afresh).
        {
          ErrorEquals: ['WaitForEvent.Busy', 'WaitForEvent.Contended', 'Lambda.TooManyRequestsException'],
          IntervalSeconds: 2,
          MaxAttempts: 6,
          BackoffRate: 2,
        },
      ],
      Catch: [{ ErrorEquals: ['States.Timeout'], ResultPath: null, Next: 'Wait for approval: timed out' }],
      Next: 'Approved',
    });
    expect(states['Wait for approval: timed out']).toEqual({
      Type: 'Fail',
      Error: 'Callback.TimedOut',
      Cause: 'no callback on topic "approval" within 3600 s',
    });
    expect(approval.type).toBe('STANDARD');
  });

  it('turns a RefPath into a string ref, whatever it points at', () => {
    const states = waitForEventStates({
      name: 'W',
      topic: 't',
      timeoutSeconds: 5,
      functionName: 'f',
      refPath: '$.orderId',
    });

    expect((states.W!.Parameters as { Payload: Record<string, unknown> }).Payload['ref.$']).toBe(
      "States.Format('{}', $.orderId)",
    );
  });

  it('offers WaitForEvent: exactly the states the ASL macro expands to', () => {
    const stack = new Stack(newApp(), 'Waits');
    const handler = someFunction(stack);
    const wait = new WaitForEvent(stack, 'Wait for approval', {
      handler,
      topic: 'approval',
      timeout: Duration.hours(1),
    });

    const chain = wait.next(new Pass(stack, 'After'));
    // Tokens resolved (function ARN, partition, DISCARD) and undefined fields dropped, as the template has them.
    const plain = (value: unknown) => JSON.parse(JSON.stringify(stack.resolve(value))) as Record<string, unknown>;
    const rendered = plain(new StateGraph(chain.startState, 'test').toGraphJson()) as { States: unknown };

    const expected = waitForEventStates({
      name: 'Wait for approval',
      topic: 'approval',
      timeoutSeconds: 3600,
      functionName: handler.functionArn,
      partition: stack.partition,
      next: 'After',
    });
    expect(rendered.States).toEqual(plain({ ...expected, After: { Type: 'Pass', End: true } }));
    expect((rendered.States as Record<string, { Retry?: unknown }>)['Wait for approval']!.Retry).toEqual([
      LAMBDA_TRANSIENT_RETRY,
      WAIT_BUSY_RETRY,
    ]);
  });

  it('grants the state machine exactly what its states call: lambda:InvokeFunction on that one function', () => {
    const stack = new Stack(newApp(), 'Grant');
    const handler = someFunction(stack);
    const wait = new WaitForEvent(stack, 'Wait', { handler, topic: 't', timeout: Duration.minutes(5) });
    const machine = new StateMachine(stack, 'Machine', {
      stateMachineType: StateMachineType.STANDARD,
      definitionBody: DefinitionBody.fromChainable(wait),
    });

    wait.grantTo(machine);

    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^MachineRole') }],
      PolicyDocument: {
        Statement: [
          {
            Action: 'lambda:InvokeFunction',
            Effect: 'Allow',
            Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Waiter'), 'Arn'] },
          },
        ],
      },
    });
  });

  describe('the reference stack', () => {
    const template = Template.fromStack(
      new HookflowStack(newApp(), 'Hookflow', { demo: true, env: { account: '123456789012', region: 'eu-west-1' } }),
    );
    const resources = (type: string) => template.findResources(type) as Record<string, Resource>;
    const waitFunctionId = Object.keys(resources('AWS::Lambda::Function')).find((id) =>
      /^HookflowWaitForEventFunction[0-9A-F]{8}$/.test(id),
    )!;
    const approvalMachines = Object.values(resources('AWS::StepFunctions::StateMachine')).filter((sm) =>
      /hookflow-approval/.test(String(sm.Properties.StateMachineName)),
    );
    const policyOfRole = (roleId: string) =>
      Object.values(resources('AWS::IAM::Policy')).filter((p) => JSON.stringify(p.Properties.Roles).includes(roleId));

    it('deploys one wait-for-event function, named in each waiting workflow through a substitution', () => {
      expect(waitFunctionId).toBeDefined();
      expect(approvalMachines).toHaveLength(3); // approval, approval-short, approval-later
      for (const machine of approvalMachines) {
        const definition = JSON.stringify(machine.Properties.DefinitionString);
        expect(definition).not.toContain('${WaitForEventFunction}');
        expect(definition).not.toContain('${Partition}');
        expect(definition).toContain(`{"Fn::GetAtt":["${waitFunctionId}","Arn"]}`);
      }
    });

    it('lets each waiting workflow invoke that function and nothing else (no DynamoDB)', () => {
      for (const machine of approvalMachines) {
        const role = (machine.Properties.RoleArn as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0];
        const statements = policyOfRole(role).flatMap(
          (p) => (p.Properties.PolicyDocument as { Statement: { Action: unknown; Resource: unknown }[] }).Statement,
        );
        const invokes = statements.filter((s) => [s.Action].flat().includes('lambda:InvokeFunction'));
        expect(invokes).toEqual([expect.objectContaining({ Resource: { 'Fn::GetAtt': [waitFunctionId, 'Arn'] } })]);
        expect(JSON.stringify(statements)).not.toContain('dynamodb:');
      }
    });

    it('gives the wait-for-event function the dedupe table and SendTaskSuccess/SendTaskFailure', () => {
      const fn = resources('AWS::Lambda::Function')[waitFunctionId]!;
      expect(JSON.stringify(fn.Properties.Environment)).toContain('DEDUPE_TABLE');
      const role = (fn.Properties.Role as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0];
      const actions = policyOfRole(role).flatMap((p) =>
        (p.Properties.PolicyDocument as { Statement: { Action: unknown }[] }).Statement.flatMap((s) =>
          [s.Action].flat(),
        ),
      );
      expect(actions).toEqual(
        expect.arrayContaining([
          'dynamodb:PutItem',
          'dynamodb:UpdateItem',
          'states:SendTaskSuccess',
          'states:SendTaskFailure',
        ]),
      );
    });
  });

  describe('partitions (issue 14, item 4: ASL files hard-coded the aws partition)', () => {
    it('writes ${Partition} in every expanded ASL file, never arn:aws:', () => {
      for (const workflow of loadWorkflowManifest()) {
        expect(workflow.definitionText).not.toMatch(/arn:aws:/);
      }
      const waiting = loadWorkflowManifest().filter((w) => w.definitionText.includes('waitForTaskToken'));
      expect(waiting.length).toBeGreaterThan(0);
      for (const workflow of waiting) expect(workflow.definitionText).toContain('arn:${Partition}:states:::');
    });

    it.each([
      ['aws-cn', { account: '123456789012', region: 'cn-north-1' }],
      ['aws-us-gov', { account: '123456789012', region: 'us-gov-west-1' }],
      ['an environment-agnostic stack', undefined],
    ])('synthesizes no state machine with a hard-coded arn:aws: (%s)', (_label, env) => {
      const stack = new HookflowStack(newApp(), 'Hookflow', { demo: true, ...(env === undefined ? {} : { env }) });

      const definitions = definitionsOf(Template.fromStack(stack));

      expect(definitions.length).toBeGreaterThan(10);
      for (const definition of definitions) expect(definition).not.toMatch(/arn:aws:/);
      const waiting = definitions.filter((d) => d.includes('lambda:invoke.waitForTaskToken'));
      expect(waiting).toHaveLength(3);
      // The stack's partition: CDK fills ${Partition} with the AWS::Partition pseudo parameter.
      for (const definition of waiting) {
        expect(definition).toContain('arn:",{"Ref":"AWS::Partition"},":states:::lambda:invoke.waitForTaskToken');
      }
    });

    it('renders the CDK construct with the stack partition in aws-cn', () => {
      const stack = new Stack(newApp(), 'China', { env: { account: '123456789012', region: 'cn-north-1' } });
      const wait = new WaitForEvent(stack, 'Wait', {
        handler: someFunction(stack),
        topic: 't',
        timeout: Duration.minutes(1),
      });
      new StateMachine(stack, 'Machine', { definitionBody: DefinitionBody.fromChainable(wait) });

      const [definition] = definitionsOf(Template.fromStack(stack));

      expect(definition).not.toMatch(/arn:aws:/);
      expect(definition).toContain('arn:",{"Ref":"AWS::Partition"},":states:::lambda:invoke.waitForTaskToken');
    });
  });
});
