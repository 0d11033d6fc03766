import { App, Stack, Validations } from 'aws-cdk-lib';
import { DefinitionBody, StateMachine, StateMachineType } from 'aws-cdk-lib/aws-stepfunctions';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { handlers } from '../../functions/routes';
import { Hookflow } from '../../lib/hookflow';
import { HookflowStack } from '../../lib/hookflow-stack';
import { loadWorkflowManifest } from '../../workflows/manifest';

/** `aws:cdk:bundling-stacks: []` skips esbuild: these tests read the template, not the bundles. */
const newApp = () => new App({ context: { 'aws:cdk:bundling-stacks': [] } });

describe('the reference stack', () => {
  const stack = new HookflowStack(newApp(), 'Hookflow', {
    demo: true,
    env: { account: '123456789012', region: 'eu-west-1' },
  });
  const template = Template.fromStack(stack);
  const resources = (type: string) => template.findResources(type);
  const stateMachineId = (name: string) =>
    Object.entries(resources('AWS::StepFunctions::StateMachine')).find(
      ([, sm]) => sm.Properties.StateMachineName === `Hookflow-${name}`,
    )![0];
  const policyOf = (handler: string) =>
    Object.values(resources('AWS::IAM::Policy')).find((p) =>
      JSON.stringify(p.Properties.Roles).includes(`Hookflow${handler}Role`),
    )!.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[];

  it('runs one Node 22 arm64 function per handler in functions/routes.ts', () => {
    const functions = Object.values(resources('AWS::Lambda::Function')).filter(
      (f) => f.Properties.Runtime === 'nodejs22.x',
    );
    expect(functions).toHaveLength(handlers.length);
    for (const fn of functions) {
      expect(fn.Properties).toMatchObject({
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
        Environment: {
          Variables: {
            REGISTRY_TABLE: expect.anything(),
            DEDUPE_TABLE: expect.anything(),
            EXECUTION_LINK_TEMPLATE: expect.stringContaining('{executionArn}'),
          },
        },
      });
    }
  });

  it('gives waiting handlers a timeout above the sync wait and under the gateway timeout', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('^Client webhook'),
      Timeout: 29,
    });
  });

  it("keeps each dedupe-writing handler's claim lease above its timeout", () => {
    const writers = Object.values(resources('AWS::Lambda::Function')).filter(
      (f) => f.Properties.Environment?.Variables?.DEDUPE_LEASE_SECONDS !== undefined,
    );
    expect(writers).toHaveLength(handlers.filter((spec) => spec.needs.includes('dedupe:write')).length);
    for (const fn of writers) {
      expect(Number(fn.Properties.Environment.Variables.DEDUPE_LEASE_SECONDS)).toBeGreaterThan(fn.Properties.Timeout);
    }
  });

  it('serves exactly the routes of functions/routes.ts', () => {
    const routeKeys = Object.values(resources('AWS::ApiGatewayV2::Route')).map((r) => r.Properties.RouteKey);
    const expected = handlers.flatMap((spec) => spec.routes.map((route) => `${route.method} ${route.path}`));
    expect(routeKeys.sort()).toEqual(expected.sort());
  });

  it('throttles the stage and access-logs it as JSON without headers or query strings', () => {
    const [stage] = Object.values(resources('AWS::ApiGatewayV2::Stage'));
    expect(stage!.Properties).toMatchObject({
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200 },
    });
    const format = JSON.parse(stage!.Properties.AccessLogSettings.Format as string) as Record<string, string>;
    expect(format).toMatchObject({ requestId: '$context.requestId', status: '$context.status' });
    expect(Object.values(format).join(' ')).not.toMatch(/header|querystring|body|authorization/i);
  });

  it('keeps both tables on demand, encrypted, with point-in-time recovery; dedupe expires on expiresAt', () => {
    const tables = Object.values(resources('AWS::DynamoDB::Table'));
    expect(tables).toHaveLength(2);
    for (const table of tables) {
      expect(table.Properties).toMatchObject({
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
      });
      expect(table.DeletionPolicy).toBe('Retain');
    }
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    });
  });

  it('deploys every example workflow, logging all events and traced', () => {
    for (const workflow of loadWorkflowManifest()) {
      template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
        StateMachineName: `Hookflow-${workflow.name}`,
        StateMachineType: workflow.type,
        LoggingConfiguration: Match.objectLike({ Level: 'ALL', IncludeExecutionData: false }),
        TracingConfiguration: { Enabled: true },
      });
    }
  });

  it('lets each style start only the state machines bound to it', () => {
    const startable = (handler: string) =>
      policyOf(handler)
        .filter((s) => [s.Action].flat().includes('states:StartExecution'))
        .flatMap((s) => [s.Resource].flat())
        .map((r) => (r as { Ref: string }).Ref)
        .sort();
    const sm = stateMachineId;

    expect(startable('FlowTrigger')).toEqual(
      [sm('hookflow-echo'), sm('hookflow-echo-standard'), sm('hookflow-fail')].sort(),
    );
    expect(startable('Inbound')).toEqual([sm('hookflow-inbound-echo'), sm('hookflow-inbound-echo-standard')].sort());
    // The fan-out worker starts what the styles that queue a busy start queued: inbound's, registered webhooks',
    // event workflows', client webhooks' and flows'.
    const queueing = ['Inbound', 'WebhookTrigger', 'EventWebhook', 'ClientWebhook', 'FlowTrigger'].map(startable);
    for (const machines of queueing) expect(machines).not.toEqual([]);
    expect(startable('InboundFanout')).toEqual([...new Set(queueing.flat())].sort());
    expect(startable('InboundRunStatus')).toEqual([]);
    for (const handler of ['FlowTrigger', 'ClientWebhook', 'Inbound', 'InboundFanout', 'InboundRunStatus']) {
      const resourcesOfStates = policyOf(handler)
        .filter((s) => [s.Action].flat().some((a) => a.startsWith('states:')))
        .flatMap((s) => [s.Resource].flat());
      expect(resourcesOfStates).not.toContain('*');
    }
  });

  it('sync-starts only Express state machines', () => {
    const syncStartable = policyOf('ClientWebhook')
      .filter((s) => [s.Action].flat().includes('states:StartSyncExecution'))
      .flatMap((s) => [s.Resource].flat())
      .map((r) => (r as { Ref: string }).Ref);
    expect(syncStartable.some((id) => id.includes('standard'))).toBe(false);
    expect(syncStartable.length).toBeGreaterThan(0);
  });

  it('writes the registrations through custom resources, owning only their attributes', () => {
    const creates = Object.values(resources('Custom::AWS')).map((r) => JSON.stringify(r.Properties.Create));
    expect(creates.some((c) => c.includes('FLOW#hello') && c.includes('updateItem'))).toBe(true);
    expect(creates.some((c) => c.includes('CLIENTWEBHOOK#test-client#my-webhook'))).toBe(true);
    expect(creates.some((c) => c.includes('INBOUNDWORKFLOW#workflow name'))).toBe(true);
    // Keys and secrets never go into a template.
    expect(JSON.stringify(template.toJSON())).not.toMatch(/hf_local_|my-secret-api-key|keyHash|secretHashes/);
  });

  it('fans out through an encrypted queue with a dead-letter queue, an alarm, and partial batch responses', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      RedrivePolicy: Match.objectLike({ maxReceiveCount: 5 }),
      SqsManagedSseEnabled: true,
      VisibilityTimeout: 360,
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BatchSize: 10,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Threshold: 0,
    });
    expect(JSON.stringify(policyOf('Inbound'))).toContain('sqs:SendMessage');
  });
});

describe('events and callbacks', () => {
  const stack = new HookflowStack(newApp(), 'Hookflow', {
    demo: true,
    env: { account: '123456789012', region: 'eu-west-1' },
  });
  const template = Template.fromStack(stack);

  it('lets the callback, intake and wait-for-event handlers resume tasks, and only them', () => {
    const resumers = Object.values(template.findResources('AWS::IAM::Policy')).filter((p) =>
      JSON.stringify(p.Properties.PolicyDocument).includes('states:SendTaskSuccess'),
    );
    expect(resumers.map((p) => JSON.stringify(p.Properties.Roles)).sort()).toEqual([
      expect.stringContaining('HookflowEventCallbackRole'),
      expect.stringContaining('HookflowEventIntakeRole'),
      expect.stringContaining('HookflowWaitForEventRole'),
    ]);
  });

  it('registers event workflows by ref and by each event type', () => {
    const creates = Object.values(template.findResources('Custom::AWS')).map((r) =>
      JSON.stringify(r.Properties.Create),
    );
    expect(creates.some((c) => c.includes('EVENTWORKFLOW#approval'))).toBe(true);
    expect(creates.some((c) => c.includes('EVENTSUB#com.example.order.created'))).toBe(true);
  });
});

describe('registered webhooks', () => {
  const stack = new HookflowStack(newApp(), 'Hookflow', {
    demo: true,
    env: { account: '123456789012', region: 'eu-west-1' },
  });
  const template = Template.fromStack(stack);
  const policyOf = (handler: string) =>
    Object.values(template.findResources('AWS::IAM::Policy')).find((p) =>
      JSON.stringify(p.Properties.Roles).includes(`Hookflow${handler}Role`),
    )!.Properties.PolicyDocument.Statement as {
      Action: string | string[];
      Resource: unknown;
      Condition?: Record<string, unknown>;
    }[];

  it('lets the admin API write only registered-webhook items of the registry (dynamodb:LeadingKeys)', () => {
    const writes = policyOf('WebhookAdmin').filter((s) => [s.Action].flat().includes('dynamodb:PutItem'));
    expect(writes).toHaveLength(1);
    expect(writes[0]!.Condition).toEqual({
      'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['WEBHOOK#*', 'ORGWEBHOOKS#*'] },
      // ForAllValues alone would also match a call that names no partition (a Scan)
      Null: { 'dynamodb:LeadingKeys': 'false' },
    });
    // create, update, rotate-secret, delete, bind/unbind: every write the webhook store makes is in that statement
    expect(writes[0]!.Action).toEqual(expect.arrayContaining(['dynamodb:UpdateItem', 'dynamodb:BatchWriteItem']));
    const actions = policyOf('WebhookAdmin').flatMap((s) => [s.Action].flat());
    expect(actions.some((a) => a.startsWith('states:'))).toBe(false);
  });

  it('lets the trigger start the webhook templates only, and the status handler read their history only', () => {
    const startable = policyOf('WebhookTrigger')
      .filter((s) => [s.Action].flat().includes('states:StartExecution'))
      .flatMap((s) => [s.Resource].flat())
      .map((r) => JSON.stringify(r));
    expect(startable.length).toBe(3); // notify, audit, reject (the globex template reuses notify)
    expect(startable.every((r) => /hookflowwebhook(notify|audit|reject)/i.test(r))).toBe(true);
    const history = policyOf('WebhookProcessStatus')
      .filter((s) => [s.Action].flat().includes('states:GetExecutionHistory'))
      .flatMap((s) => [s.Resource].flat());
    expect(history.length).toBe(3); // the executions of notify, audit and reject
    expect(JSON.stringify(policyOf('WebhookProcessStatus'))).not.toContain('states:StartExecution');
  });

  it('registers each organisation’s templates', () => {
    const creates = Object.values(template.findResources('Custom::AWS')).map((r) =>
      JSON.stringify(r.Properties.Create),
    );
    expect(creates.some((c) => c.includes('WEBHOOKTEMPLATE#acme') && c.includes('notify'))).toBe(true);
    expect(creates.some((c) => c.includes('WEBHOOKTEMPLATE#globex'))).toBe(true);
  });

  it('refuses an Express template: a process reads its execution history', () => {
    const app = newApp();
    const own = new Stack(app, 'Own');
    const hookflow = new Hookflow(own, 'Hookflow');
    const express = new StateMachine(own, 'Express', {
      stateMachineType: StateMachineType.EXPRESS,
      definitionBody: DefinitionBody.fromString('{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}'),
    });
    expect(() => hookflow.addWebhookWorkflow({ orgId: 'acme', id: 'x', stateMachine: express })).toThrow(
      /must be a STANDARD state machine/,
    );
  });
});

describe('cdk-nag', () => {
  it('finds nothing unacknowledged in the reference stack (AwsSolutions pack)', () => {
    const app = newApp();
    new HookflowStack(app, 'Hookflow', { demo: true, env: { account: '123456789012', region: 'eu-west-1' } });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));

    let report = '';
    try {
      app.synth();
    } catch (error) {
      report = (error as Error).message;
    }
    expect(report).toBe('');
  });

  it('fails the synth on an unacknowledged finding (the check is live)', () => {
    const app = newApp();
    const stack = new HookflowStack(app, 'Hookflow', {
      demo: true,
      env: { account: '123456789012', region: 'eu-west-1' },
    });
    const { Queue } = jest.requireActual<typeof import('aws-cdk-lib/aws-sqs')>('aws-cdk-lib/aws-sqs');
    new Queue(stack, 'UnencryptedNoDlq', { enforceSSL: false });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));

    expect(() => app.synth()).toThrow(/AwsSolutions-SQS/);
  });
});
