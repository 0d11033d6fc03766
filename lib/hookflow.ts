import { Arn, ArnFormat, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { IAlarmAction } from 'aws-cdk-lib/aws-cloudwatch';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { type IStateMachine, StateMachine, StateMachineType } from 'aws-cdk-lib/aws-stepfunctions';
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference';
import { Construct } from 'constructs';
import {
  clientWebhookItem,
  eventWorkflowItems,
  flowItem,
  inboundWorkflowItems,
  type RegistryPartition,
  registryPartitionPrefixes,
  registryPartitionReads,
  webhookTemplateItem,
  webhookWritablePrefixes,
} from '../functions/adapters/aws/registry-items';
import type { WorkflowTarget } from '../functions/core/ports';
import { type HandlerSpec, type WorkflowBinding, handlers } from '../functions/routes';
import { FanoutQueue } from './fanout-queue';
import { HookflowFunction } from './hookflow-function';
import { HookflowHttpApi, type ThrottleProps } from './hookflow-http-api';
import { HookflowTables } from './hookflow-tables';
import { RegistryRecord } from './registry-record';

export interface HookflowProps {
  /** Stage-wide API Gateway throttling. Default: 100 requests/s, bursts of 200. */
  readonly throttle?: ThrottleProps;
  /** What happens to the tables when the stack is deleted. Default: RETAIN (they hold registrations). */
  readonly removalPolicy?: RemovalPolicy;
  /** Retention of handler and access logs. Default: one month. */
  readonly logRetention?: RetentionDays;
  /** Deliveries of a fan-out message before it moves to the dead-letter queue. Default: 5. */
  readonly fanoutMaxReceiveCount?: number;
  /**
   * Who is told when a fan-out item lands in the dead-letter queue (an accepted item that never ran), e.g.
   * `[new SnsAction(topic)]`. What to do then: docs/construct.md, "When the dead-letter alarm fires".
   * @default - none: the alarm only changes state in the CloudWatch console
   */
  readonly deadLetterAlarmActions?: readonly IAlarmAction[];
  /**
   * Handler settings (functions/core/config.ts) to override, e.g. `{ SYNC_WAIT_MS: '20000' }`. Default: the
   * documented defaults, and execution links to the Step Functions console.
   */
  readonly handlerSettings?: Record<string, string>;
}

/**
 * A workflow's type decides how hookflow starts it (StartSyncExecution for Express) and what it may do (wait for
 * callbacks, report history: Standard only). For a `StateMachine` built in the same app the construct reads it;
 * for one imported by ARN (`StateMachine.fromStateMachineArn`) it cannot, so every binding then requires `type`.
 */
export type WorkflowType = 'EXPRESS' | 'STANDARD';

/**
 * The type of `workflow` as bound by `binding`: read from a CDK-built state machine (a contradicting `type` is
 * an error), else the caller's `type`, else a synth error naming the binding. Guessing STANDARD would register
 * an Express workflow that then fails at run time: hookflow would start it asynchronously and read its outcome
 * with DescribeExecution, which "is not supported by EXPRESS state machine executions"
 * (https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeExecution.html).
 */
export function workflowTypeOf(binding: string, workflow: IStateMachine, type: WorkflowType | undefined): WorkflowType {
  if (workflow instanceof StateMachine) {
    const actual = workflow.stateMachineType === StateMachineType.EXPRESS ? 'EXPRESS' : 'STANDARD';
    if (type !== undefined && type !== actual) {
      throw new Error(`${binding}: type ${type} given, but ${workflow.node.path} is ${actual}`);
    }
    return actual;
  }
  if (type === undefined) {
    throw new Error(
      `${binding}: ${workflow.node.path} is imported, so its workflow type is unknown: pass type: 'EXPRESS' or 'STANDARD'`,
    );
  }
  return type;
}

/**
 * hookflow as one construct: the HTTP API, one Lambda per handler in functions/routes.ts (its env vars and
 * IAM grants derived from the handler's declared needs), the registry and dedupe tables, and the fan-out
 * queue. Workflows are bound with bindFlow / addClientWebhook / addInboundWorkflow, which both write the
 * registry item and grant the handlers exactly that state machine.
 */
export class Hookflow extends Construct {
  readonly http: HookflowHttpApi;
  readonly tables: HookflowTables;
  readonly fanout: FanoutQueue;
  /** The Lambda functions by handler name (functions/routes.ts). */
  readonly functions: ReadonlyMap<string, NodejsFunction>;
  private readonly specs = new Map<string, HandlerSpec>();
  private readonly allowed = new Set<string>();

  constructor(scope: Construct, id: string, props: HookflowProps = {}) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const logRetention = props.logRetention ?? RetentionDays.ONE_MONTH;
    const region = Stack.of(this).region;

    this.tables = new HookflowTables(this, 'Tables', { removalPolicy });
    this.http = new HookflowHttpApi(this, 'Http', {
      throttle: props.throttle ?? { rateLimit: 100, burstLimit: 200 },
      logRetention,
      removalPolicy,
    });
    const worker = handlers.find((spec) => spec.consumes === 'fanout');
    this.fanout = new FanoutQueue(this, 'Fanout', {
      workerTimeout: Duration.seconds(worker?.timeoutSeconds ?? 10),
      maxReceiveCount: props.fanoutMaxReceiveCount ?? 5,
      ...(props.deadLetterAlarmActions === undefined ? {} : { alarmActions: props.deadLetterAlarmActions }),
    });

    const functions = new Map<string, NodejsFunction>();
    for (const spec of handlers) {
      const environment: Record<string, string> = {
        // Every handler's config names both tables; only the declared needs below grant access to them.
        REGISTRY_TABLE: this.tables.registry.tableName,
        DEDUPE_TABLE: this.tables.dedupe.tableName,
        EXECUTION_LINK_TEMPLATE: `https://${region}.console.aws.amazon.com/states/home?region=${region}#/v2/executions/details/{executionArn}`,
        ...(spec.needs.includes('queue:send') ? { FANOUT_QUEUE_URL: this.fanout.queue.queueUrl } : {}),
        // A claim's lease must outlast its owner's timeout, or a duplicate could take over a live owner's claim
        // and start a second run (Express names give no second line of defence).
        ...(spec.needs.includes('dedupe:write')
          ? { DEDUPE_LEASE_SECONDS: String(Math.max(30, (spec.timeoutSeconds ?? 10) + 5)) }
          : {}),
        ...props.handlerSettings,
      };
      const fn = new HookflowFunction(this, pascal(spec.name), { spec, environment, logRetention, removalPolicy })
        .function;
      this.grantNeeds(fn, spec);
      for (const route of spec.routes) this.http.addRoute(route.method, route.path, fn);
      if (spec.consumes === 'fanout') this.fanout.addWorker(fn);
      functions.set(spec.name, fn);
      this.specs.set(spec.name, spec);
    }
    this.functions = functions;
  }

  /**
   * The IAM statements of a handler's declared needs, each action one its code calls (test/infra/iam-*.test.ts
   * simulates every call the e2e suite records against these, and fails on an action no call uses). Never
   * grantReadData/grantReadWriteData: those add Scan, BatchWriteItem and whole-table reads. Actions per
   * https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazondynamodb.html and
   * https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsstepfunctions.html
   */
  private grantNeeds(fn: NodejsFunction, spec: HandlerSpec): void {
    const kinds = spec.needs.flatMap((need) => {
      const kind = /^registry:read:(.+)$/.exec(need)?.[1] as RegistryPartition | undefined;
      return kind === undefined ? [] : [kind];
    });
    for (const action of ['GetItem', 'Query'] as const) {
      const prefixes = kinds
        .filter((kind) => registryPartitionReads[kind] === action)
        .map((k) => registryPartitionPrefixes[k]);
      if (prefixes.length === 0) continue;
      // The registry holds API key hashes, verifier secrets and signing secrets side by side: each handler reads
      // only the partitions it declares, the way its code reads them, whatever a request makes it do.
      fn.addToRolePolicy(
        new PolicyStatement({
          actions: [`dynamodb:${action}`],
          resources: [this.tables.registry.tableArn],
          conditions: leadingKeysLike(prefixes),
        }),
      );
    }
    for (const need of spec.needs) {
      if (need === 'dedupe:read') {
        fn.addToRolePolicy(
          new PolicyStatement({ actions: ['dynamodb:GetItem'], resources: [this.tables.dedupe.tableArn] }),
        );
      }
      if (need === 'dedupe:write') {
        // Claim (PutItem), take over or complete (UpdateItem), release (DeleteItem), read a live claim (GetItem).
        fn.addToRolePolicy(
          new PolicyStatement({
            actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
            resources: [this.tables.dedupe.tableArn],
          }),
        );
      }
      if (need === 'queue:send') {
        // sqs:SendMessage also authorizes SendMessageBatch, which has no action of its own:
        // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-batch-api-actions.html
        fn.addToRolePolicy(
          new PolicyStatement({ actions: ['sqs:SendMessage'], resources: [this.fanout.queue.queueArn] }),
        );
      }
      if (need === 'webhooks:write') {
        // Registered webhooks live in the registry table next to API keys: this handler may write only their
        // items, whatever a request makes it do. No GetItem: the store reads a webhook's partition with Query.
        fn.addToRolePolicy(
          new PolicyStatement({
            actions: [
              'dynamodb:Query',
              'dynamodb:BatchGetItem',
              'dynamodb:PutItem',
              'dynamodb:UpdateItem',
              'dynamodb:DeleteItem',
              'dynamodb:BatchWriteItem',
            ],
            resources: [this.tables.registry.tableArn],
            conditions: leadingKeysLike(webhookWritablePrefixes),
          }),
        );
      }
      if (need === 'waits:read') {
        fn.addToRolePolicy(
          new PolicyStatement({ actions: ['dynamodb:GetItem'], resources: [this.tables.dedupe.tableArn] }),
        );
      }
      if (need === 'waits:write') {
        // Begin a wait or keep an early callback (PutItem); claim, confirm, release, expire one (UpdateItem).
        fn.addToRolePolicy(
          new PolicyStatement({
            actions: ['dynamodb:PutItem', 'dynamodb:UpdateItem'],
            resources: [this.tables.dedupe.tableArn],
          }),
        );
      }
      if (need === 'engine:succeed') {
        fn.addToRolePolicy(new PolicyStatement({ actions: ['states:SendTaskSuccess'], resources: ['*'] }));
        Validations.of(fn.role!).acknowledge({
          id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
          reason:
            'states:SendTaskSuccess takes a task token, not a resource: IAM offers no resource-level scoping for it. The token itself is the capability.',
        });
      }
      if (need === 'engine:resume') {
        fn.addToRolePolicy(
          new PolicyStatement({ actions: ['states:SendTaskSuccess', 'states:SendTaskFailure'], resources: ['*'] }),
        );
        Validations.of(fn.role!).acknowledge({
          id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
          reason:
            'states:SendTaskSuccess/SendTaskFailure take a task token, not a resource: IAM offers no resource-level scoping for them. The token itself is the capability.',
        });
      }
    }
  }

  /** The API's base URL. */
  get url(): string {
    return this.http.url;
  }

  /**
   * Seed 1: `POST /flows/{flowId}/trigger` starts `workflow`. Unpublished flows answer 404. `type` is required
   * for a state machine imported by ARN (see WorkflowType).
   */
  bindFlow(flowId: string, workflow: IStateMachine, options: { type?: WorkflowType; published?: boolean } = {}): void {
    const target = this.allowStart(workflow, 'flows', workflowTypeOf(`flow ${flowId}`, workflow, options.type));
    const { pk, sk, ...attributes } = flowItem({ flowId, ...target, published: options.published ?? true });
    new RegistryRecord(this, `Flow-${flowId}`, { table: this.tables.registry, key: { pk, sk }, attributes });
  }

  /**
   * Seed 2: `GET|POST /webhook/{client}/{name}` runs `workflow` as `runAs` (or `devWorkflow` in mode dev).
   * A key is set after deploy (scripts/set-client-webhook-key.ts): keys never go into a template.
   */
  addClientWebhook(webhook: {
    client: string;
    name: string;
    workflow: IStateMachine;
    /** Required when `workflow` is imported by ARN (see WorkflowType). */
    type?: WorkflowType;
    devWorkflow?: IStateMachine;
    /** Required when `devWorkflow` is imported by ARN. */
    devType?: WorkflowType;
    runAs: string;
    mode?: 'productive' | 'dev';
  }): void {
    const binding = `client webhook ${webhook.client}/${webhook.name}`;
    if (webhook.mode === 'dev' && webhook.devWorkflow === undefined) {
      throw new Error(`${binding}: mode dev needs a devWorkflow`);
    }
    const { pk, sk, ...attributes } = clientWebhookItem({
      client: webhook.client,
      name: webhook.name,
      productive: this.allowStart(
        webhook.workflow,
        'client-webhooks',
        workflowTypeOf(binding, webhook.workflow, webhook.type),
      ),
      ...(webhook.devWorkflow === undefined
        ? {}
        : {
            dev: this.allowStart(
              webhook.devWorkflow,
              'client-webhooks',
              workflowTypeOf(`${binding} (devWorkflow)`, webhook.devWorkflow, webhook.devType),
            ),
          }),
      mode: webhook.mode ?? 'productive',
      runAs: webhook.runAs,
    });
    new RegistryRecord(this, `ClientWebhook-${webhook.client}-${webhook.name}`, {
      table: this.tables.registry,
      key: { pk: String(pk), sk: String(sk) },
      attributes,
    });
  }

  /**
   * Seed 4: `POST /inbound` may start `workflow`, named by `name` or `workflowId`. `type` is required for a
   * state machine imported by ARN (see WorkflowType).
   */
  addInboundWorkflow(workflow: {
    name: string;
    workflowId: string;
    stateMachine: IStateMachine;
    type?: WorkflowType;
  }): void {
    const target = this.allowStart(
      workflow.stateMachine,
      'inbound-workflows',
      workflowTypeOf(`inbound workflow ${workflow.name}`, workflow.stateMachine, workflow.type),
    );
    for (const item of inboundWorkflowItems({ name: workflow.name, workflowId: workflow.workflowId, ...target })) {
      const { pk, sk, ...attributes } = item;
      new RegistryRecord(this, `InboundWorkflow-${pk}`, { table: this.tables.registry, key: { pk, sk }, attributes });
    }
  }

  /**
   * Seed 3: `POST /api/v2/webhook?ref=<ref>` starts `stateMachine`, and so does every CloudEvent of one of
   * `eventTypes` posted to `/api/v2/event`. To wait for callbacks it must be STANDARD (see WaitForEvent).
   * `type` is required for a state machine imported by ARN (see WorkflowType).
   */
  addEventWorkflow(workflow: {
    ref: string;
    stateMachine: IStateMachine;
    type?: WorkflowType;
    eventTypes?: readonly string[];
  }): void {
    const target = this.allowStart(
      workflow.stateMachine,
      'event-workflows',
      workflowTypeOf(`event workflow ${workflow.ref}`, workflow.stateMachine, workflow.type),
    );
    const items = eventWorkflowItems({ ref: workflow.ref, eventTypes: workflow.eventTypes ?? [], ...target });
    for (const item of items) {
      const { pk, sk, ...attributes } = item;
      new RegistryRecord(this, `EventWorkflow-${pk}-${sk}`, {
        table: this.tables.registry,
        key: { pk, sk },
        attributes,
      });
    }
  }

  /**
   * Seed 5: lets organisation `orgId` bind `stateMachine` (as template `id`) to its registered webhooks;
   * `POST /api/trigger-webhooks/{webhookId}` then starts it. It must be STANDARD: a process reports each
   * step's output from the execution history, which Express workflows don't keep. A state machine imported by
   * ARN needs `type: 'STANDARD'`: the construct cannot check it otherwise.
   */
  addWebhookWorkflow(template: {
    orgId: string;
    id: string;
    name?: string;
    stateMachine: IStateMachine;
    type?: WorkflowType;
  }): void {
    const type = workflowTypeOf(
      `webhook workflow ${template.orgId}/${template.id}`,
      template.stateMachine,
      template.type,
    );
    if (type === 'EXPRESS') {
      throw new Error(
        `webhook workflow ${template.orgId}/${template.id}: must be a STANDARD state machine (process records read its execution history)`,
      );
    }
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(template.id)) {
      throw new Error(`webhook workflow id "${template.id}": 1-64 letters, digits, "_" or "-"`);
    }
    const target = this.allowStart(template.stateMachine, 'webhook-templates', 'STANDARD');
    const { pk, sk, ...attributes } = webhookTemplateItem({
      id: template.id,
      orgId: template.orgId,
      name: template.name ?? template.id,
      stateMachineArn: target.stateMachineArn,
    });
    new RegistryRecord(this, `WebhookWorkflow-${template.orgId}-${template.id}`, {
      table: this.tables.registry,
      key: { pk, sk },
      attributes,
    });
  }

  /**
   * Grants the given style handlers exactly this state machine, as their declared needs say: start it
   * (sync-start too if Express) and describe its executions. Returns it as a registry target.
   */
  /**
   * Grants the handlers that run workflows of this binding kind (their spec's `runs`) what their needs say they
   * do with one: start it, start it synchronously, describe or read the history of its executions.
   */
  private allowStart(workflow: IStateMachine, binding: WorkflowBinding, type?: WorkflowType): WorkflowTarget {
    const workflowType =
      type ??
      (workflow instanceof StateMachine && workflow.stateMachineType === StateMachineType.EXPRESS
        ? 'EXPRESS'
        : 'STANDARD');
    const stack = Stack.of(this);
    // Execution names are made per request, so DescribeExecution can only be scoped to the state machine.
    const name =
      workflow instanceof StateMachine
        ? workflow.stateMachineName
        : Arn.split(workflow.stateMachineArn, ArnFormat.COLON_RESOURCE_NAME).resourceName!;
    const executions = stack.formatArn({
      service: 'states',
      resource: 'execution',
      resourceName: `${name}:*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    // cdk-nag names the finding after the resource as it flattens it: ask it, rather than guess the format.
    const finding = `AwsSolutions::AwsSolutions-IAM5[Resource::${flattenCfnReference(stack.resolve(executions))}]`;
    for (const spec of this.specs.values()) {
      if (!(spec.runs ?? []).includes(binding)) continue;
      const key = `${spec.name} ${workflow.node.path}`;
      const fn = this.functions.get(spec.name);
      if (fn === undefined || this.allowed.has(key)) continue;
      this.allowed.add(key);
      const needs = spec.needs;
      if (needs.includes('engine:start')) {
        workflow.grantStartExecution(fn);
        // Only a handler that waits for runs (engine:describe) starts them synchronously.
        if (workflowType === 'EXPRESS' && needs.includes('engine:describe')) workflow.grantStartSyncExecution(fn);
      }
      const reads = [
        ...(needs.includes('engine:start') || needs.includes('engine:describe') ? ['states:DescribeExecution'] : []),
        ...(needs.includes('engine:history') ? ['states:GetExecutionHistory'] : []),
      ];
      if (reads.length > 0) {
        fn.addToRolePolicy(new PolicyStatement({ actions: reads, resources: [executions] }));
        Validations.of(fn.role!).acknowledge({
          id: finding,
          reason: `${reads.join(', ')} on the executions of ${workflow.node.path} only: their names are made per request.`,
        });
      }
    }
    return { stateMachineArn: workflow.stateMachineArn, workflowType };
  }
}

/**
 * Items whose partition key starts with one of `prefixes`, and only calls that name their partition keys.
 * `dynamodb:LeadingKeys` is the partition key values a call addresses:
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/specifying-conditions.html
 * ForAllValues is also true when the key is absent from the request (a Scan names no partition), so the Null
 * test requires it to be there:
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
 */
function leadingKeysLike(prefixes: readonly string[]): Record<string, Record<string, unknown>> {
  return {
    'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': prefixes.map((prefix) => `${prefix}*`) },
    Null: { 'dynamodb:LeadingKeys': 'false' },
  };
}

const pascal = (name: string) => name.replace(/(^|-)(\w)/g, (_, __, c: string) => c.toUpperCase());
