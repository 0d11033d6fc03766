import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AttributeType, BillingMode, ProjectionType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { DefinitionBody, Pass, StateMachine, StateMachineType } from 'aws-cdk-lib/aws-stepfunctions';
import { ExpressRunGuard } from '../../lib/express-run-guard';
import { Hookflow, type HookflowProps } from '../../lib/hookflow';

/**
 * Issue 17, item 2: existing tables, existing fan-out queues and a customer managed KMS key, as the best
 * construct libraries take them (AWS Solutions Constructs' `existing…Obj` props).
 */
const newApp = () => new App({ context: { 'aws:cdk:bundling-stacks': [] } });
const env = { account: '123456789012', region: 'eu-west-1' };

function build(props: (stack: Stack) => HookflowProps) {
  const stack = new Stack(newApp(), 'Existing', { env });
  const hookflow = new Hookflow(stack, 'Hookflow', props(stack));
  return { stack, hookflow, template: Template.fromStack(stack) };
}
const dedupeIn = (stack: Stack, id: string, withIndex = true) => {
  const table = new Table(stack, id, {
    billingMode: BillingMode.PAY_PER_REQUEST,
    partitionKey: { name: 'pk', type: AttributeType.STRING },
    timeToLiveAttribute: 'expiresAt',
  });
  if (withIndex) {
    table.addGlobalSecondaryIndex({
      indexName: 'deliveries',
      partitionKey: { name: 'dPk', type: AttributeType.STRING },
      sortKey: { name: 'dSk', type: AttributeType.STRING },
      projectionType: ProjectionType.KEYS_ONLY,
    });
  }
  return table;
};
const tablesIn = (stack: Stack) => ({
  registry: new Table(stack, 'MyRegistry', {
    billingMode: BillingMode.PAY_PER_REQUEST,
    partitionKey: { name: 'pk', type: AttributeType.STRING },
    sortKey: { name: 'sk', type: AttributeType.STRING },
  }),
  dedupe: dedupeIn(stack, 'MyDedupe'),
});
/** The policy statements of one handler's role. */
function statementsOf(template: Template, stack: Stack, hookflow: Hookflow, handler: string) {
  const role = stack.getLogicalId(hookflow.functions.get(handler)!.role!.node.defaultChild as never);
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((policy) => JSON.stringify(policy.Properties.Roles).includes(role))
    .flatMap(
      (policy) => policy.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[],
    );
}
const actionsOn = (statements: { Action: string | string[]; Resource: unknown }[], resource: string) =>
  statements
    .filter((statement) => JSON.stringify(statement.Resource).includes(resource))
    .flatMap((statement) => [statement.Action].flat())
    .sort();

describe('Hookflow: existing tables, queues and a KMS key', () => {
  it('uses existing tables: creates none, and names and grants the given ones', () => {
    // Act
    const { stack, hookflow, template } = build((s) => ({ tables: tablesIn(s) }));

    // Assert: only the app's own two tables, wired into the handlers
    template.resourceCountIs('AWS::DynamoDB::Table', 2);
    const registry = stack.getLogicalId(hookflow.tables.registry.node.defaultChild as never);
    expect(registry).toMatch(/^MyRegistry/);
    const flowTrigger = stack.getLogicalId(hookflow.functions.get('flow-trigger')!.node.defaultChild as never);
    expect(template.toJSON().Resources[flowTrigger].Properties.Environment.Variables.REGISTRY_TABLE).toEqual({
      Ref: registry,
    });
    expect(actionsOn(statementsOf(template, stack, hookflow, 'flow-trigger'), registry)).toEqual(['dynamodb:GetItem']);
  });

  it('fails synth on an existing table keyed otherwise, naming it and the schema hookflow needs', () => {
    expect(() =>
      build((s) => ({
        tables: {
          ...tablesIn(s),
          dedupe: new Table(s, 'WrongDedupe', { partitionKey: { name: 'id', type: AttributeType.STRING } }),
        },
      })),
    ).toThrow('Hookflow tables.dedupe: Existing/WrongDedupe is keyed id:S/-, hookflow needs pk:S/-');
  });

  it('fails synth on an existing dedupe table without the deliveries index, naming it', () => {
    expect(() => build((s) => ({ tables: { ...tablesIn(s), dedupe: dedupeIn(s, 'OldDedupe', false) } }))).toThrow(
      'Hookflow tables.dedupe: Existing/OldDedupe has no global secondary index "deliveries"',
    );
  });

  it('uses existing fan-out queues: creates none, sends to the given queue, alarms on the given dead-letter queue', () => {
    // Act
    const { stack, template } = build((s) => ({
      fanoutQueues: {
        queue: new Queue(s, 'MyFanout'),
        deadLetterQueue: new Queue(s, 'MyDeadLetters'),
      },
    }));

    // Assert
    template.resourceCountIs('AWS::SQS::Queue', 2);
    const dlq = Object.keys(template.findResources('AWS::SQS::Queue')).find((id) => id.startsWith('MyDeadLetters'))!;
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [dlq, 'QueueName'] } }],
    });
    expect(stack.resolve(JSON.stringify(template.findResources('AWS::Lambda::EventSourceMapping')))).toContain(
      'MyFanout',
    );
  });

  it('encrypts new tables and queues with a customer managed key, and grants readers Decrypt only', () => {
    // Act
    const { stack, hookflow, template } = build((s) => ({ encryptionKey: new Key(s, 'HooksKey') }));

    // Assert: both tables and both queues use the key
    const key = Object.keys(template.findResources('AWS::KMS::Key'))[0]!;
    template.allResourcesProperties('AWS::DynamoDB::Table', {
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: { 'Fn::GetAtt': [key, 'Arn'] } },
    });
    template.allResourcesProperties('AWS::SQS::Queue', { KmsMasterKeyId: { 'Fn::GetAtt': [key, 'Arn'] } });
    // a writer (flow-trigger: dedupe claims) encrypts and decrypts; a reader (inbound-run-status) only decrypts
    expect(actionsOn(statementsOf(template, stack, hookflow, 'flow-trigger'), key)).toEqual(
      expect.arrayContaining(['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey*']),
    );
    expect(actionsOn(statementsOf(template, stack, hookflow, 'inbound-run-status'), key)).toEqual(['kms:Decrypt']);
    // the inbound handler sends to the encrypted queue; the fan-out worker's event source may read it
    expect(actionsOn(statementsOf(template, stack, hookflow, 'inbound'), key)).toEqual(
      expect.arrayContaining(['kms:GenerateDataKey*', 'kms:Decrypt']),
    );
    expect(actionsOn(statementsOf(template, stack, hookflow, 'inbound-fanout'), key)).toContain('kms:Decrypt');
  });

  it('grants the key to the registry writer (bindings) and to an Express run guard', () => {
    // Act
    const stack = new Stack(newApp(), 'Keyed', { env });
    const hookflow = new Hookflow(stack, 'Hookflow', { encryptionKey: new Key(stack, 'HooksKey') });
    const guard = new ExpressRunGuard(stack, 'Guard', { table: hookflow.tables.dedupe });
    const orders = new StateMachine(stack, 'Orders', {
      stateMachineType: StateMachineType.EXPRESS,
      definitionBody: DefinitionBody.fromChainable(guard.next(new Pass(stack, 'Done'))),
    });
    guard.grantTo(orders);
    hookflow.bindFlow('orders', orders);
    const template = Template.fromStack(stack);

    // Assert
    const key = Object.keys(template.findResources('AWS::KMS::Key'))[0]!;
    const keyActionsOf = (role: string) =>
      Object.values(template.findResources('AWS::IAM::Policy'))
        .filter((policy) => JSON.stringify(policy.Properties.Roles).includes(role))
        .flatMap(
          (policy) => policy.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[],
        )
        .filter((statement) => JSON.stringify(statement.Resource).includes(key))
        .flatMap((statement) => [statement.Action].flat());
    expect(keyActionsOf('HookflowRegistryWriterRole')).toEqual(expect.arrayContaining(['kms:Encrypt', 'kms:Decrypt']));
    expect(keyActionsOf(stack.getLogicalId(orders.role.node.defaultChild as never))).toEqual(
      expect.arrayContaining(['kms:Encrypt', 'kms:Decrypt']),
    );
  });
});
