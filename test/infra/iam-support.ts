/**
 * What the IAM tests share: the reference stack synthesized, its CloudFormation intrinsics resolved to
 * concrete ARNs for a fake account and region (the simulator matches strings, not tokens), each role's
 * statements, and one call simulated with @cloud-copilot/iam-simulate against a role.
 */
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { App, type CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { HookflowStack } from '../../lib/hookflow-stack';

export const ACCOUNT = '123456789012';
export const REGION = 'us-east-1';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, Json>;
}

export interface Statement {
  readonly Effect: 'Allow' | 'Deny';
  readonly Action: string | string[];
  readonly Resource: string | string[];
  readonly Condition?: Record<string, Record<string, string | string[]>>;
}

/** One AWS API call as IAM authorizes it. */
export interface IamRequest {
  readonly action: string;
  readonly resource: string;
  readonly context?: Record<string, string | string[]>;
}

/** The reference stack as deployed into ACCOUNT/REGION, with lookups by handler and by state machine. */
export class ReferenceStack {
  readonly stack: HookflowStack;
  readonly resources: Record<string, CfnResource>;

  constructor() {
    // `aws:cdk:bundling-stacks: []` skips esbuild: only the template matters here.
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    this.stack = new HookflowStack(app, 'Hookflow', { demo: true, env: { account: ACCOUNT, region: REGION } });
    this.resources = Template.fromStack(this.stack).toJSON().Resources as Record<string, CfnResource>;
  }

  logicalId(construct: IConstruct): string {
    return Stack.of(construct).getLogicalId(construct.node.defaultChild as CfnElement);
  }

  /** The role of each handler, by handler name (functions/routes.ts). */
  handlerRoles(): Map<string, string> {
    return new Map([...this.stack.hookflow.functions].map(([name, fn]) => [name, this.logicalId(fn.role!)]));
  }

  /** Every state machine of the stack: its construct id (the workflow name locally), logical id and role. */
  stateMachines(): { name: string; logicalId: string; roleId: string }[] {
    return this.stack.node
      .findAll()
      .filter((c): c is StateMachine => c instanceof StateMachine)
      .map((sm) => ({ name: sm.node.id, logicalId: this.logicalId(sm), roleId: this.logicalId(sm.role) }));
  }

  tableArn(table: 'registry' | 'dedupe'): string {
    return this.resolve({ 'Fn::GetAtt': [this.logicalId(this.stack.hookflow.tables[table]), 'Arn'] }) as string;
  }

  fanoutQueueArn(): string {
    return this.resolve({ 'Fn::GetAtt': [this.logicalId(this.stack.hookflow.fanout.queue), 'Arn'] }) as string;
  }

  /** The bucket large bodies are kept in (lib/hookflow-bodies.ts). */
  bodiesBucketArn(): string {
    return this.resolve({ 'Fn::GetAtt': [this.logicalId(this.stack.hookflow.bodies.bucket), 'Arn'] }) as string;
  }

  /** The concrete name a state machine of the stack deploys under. */
  stateMachineName(logicalId: string): string {
    return this.nameOf(logicalId);
  }

  /** The identity statements of a role: its inline policies and every AWS::IAM::Policy attached to it. */
  statementsOf(roleId: string): Statement[] {
    const role = this.resources[roleId];
    if (role?.Type !== 'AWS::IAM::Role') throw new Error(`${roleId} is not a role`);
    if ((role.Properties?.ManagedPolicyArns as Json[] | undefined)?.length) {
      throw new Error(`${roleId} has managed policies: the IAM tests read inline statements only`);
    }
    const documents = [
      ...((role.Properties?.Policies as { PolicyDocument: Json }[] | undefined) ?? []).map((p) => p.PolicyDocument),
      ...Object.values(this.resources)
        .filter(
          (r) =>
            r.Type === 'AWS::IAM::Policy' &&
            (r.Properties?.Roles as Json[]).some((ref) => JSON.stringify(ref) === JSON.stringify({ Ref: roleId })),
        )
        .map((r) => r.Properties!.PolicyDocument!),
    ];
    return documents.flatMap((doc) => (this.resolve(doc) as unknown as { Statement: Statement[] }).Statement);
  }

  /** Every action a role is allowed, expanded to the list its statements name (no wildcards are used). */
  allowedActions(roleId: string): Set<string> {
    return new Set(
      this.statementsOf(roleId)
        .filter((s) => s.Effect === 'Allow')
        .flatMap((s) => [s.Action].flat()),
    );
  }

  /** The Task states of a state machine: name, resource and parameters, intrinsics resolved. */
  taskStates(logicalId: string): { state: string; resource: string; parameters: Record<string, Json> }[] {
    const definition = JSON.parse(
      this.resolve(this.resources[logicalId]!.Properties!.DefinitionString!) as string,
    ) as AslStates;
    return walkTasks(definition);
  }

  /** Resolves Ref, Fn::GetAtt, Fn::Join, Fn::Sub, Fn::Select and Fn::Split for this stack. */
  resolve(value: Json | undefined): Json {
    if (value === undefined) return null;
    if (Array.isArray(value)) return value.map((v) => this.resolve(v));
    if (value === null || typeof value !== 'object') return value;
    const keys = Object.keys(value);
    if (keys.length === 1) {
      const [key] = keys as [string];
      const arg = value[key]!;
      if (key === 'Ref') return this.ref(arg as string);
      if (key === 'Fn::GetAtt') {
        const [id, attribute] = (typeof arg === 'string' ? arg.split('.') : arg) as [string, string];
        return this.getAtt(id, attribute);
      }
      if (key === 'Fn::Join') {
        const [separator, parts] = arg as [string, Json[]];
        return (this.resolve(parts) as Json[]).map(String).join(separator);
      }
      if (key === 'Fn::Select') {
        const [index, list] = arg as [Json, Json];
        return (this.resolve(list) as Json[])[Number(this.resolve(index))]!;
      }
      if (key === 'Fn::Split') {
        const [separator, text] = arg as [string, Json];
        return String(this.resolve(text)).split(separator);
      }
      if (key === 'Fn::Sub') {
        const [text, variables = {}] = (typeof arg === 'string' ? [arg] : arg) as [string, Record<string, Json>?];
        return text.replace(/\$\{([^}!]+)\}/g, (_, name: string) => {
          if (name in variables) return String(this.resolve(variables[name]));
          const [id, attribute] = name.split('.') as [string, string?];
          return String(attribute === undefined ? this.ref(id) : this.getAtt(id, attribute));
        });
      }
    }
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.resolve(v)]));
  }

  private ref(id: string): string {
    const pseudo: Record<string, string> = {
      'AWS::Partition': 'aws',
      'AWS::Region': REGION,
      'AWS::AccountId': ACCOUNT,
      'AWS::URLSuffix': 'amazonaws.com',
      'AWS::StackName': this.stack.stackName,
    };
    if (id in pseudo) return pseudo[id]!;
    const type = this.typeOf(id);
    if (type === 'AWS::StepFunctions::StateMachine') return this.getAtt(id, 'Arn');
    if (type === 'AWS::SQS::Queue') return `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${this.nameOf(id)}`;
    return this.nameOf(id);
  }

  private getAtt(id: string, attribute: string): string {
    const type = this.typeOf(id);
    const name = this.nameOf(id);
    const arns: Record<string, string> = {
      'AWS::DynamoDB::Table': `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${name}`,
      'AWS::SQS::Queue': `arn:aws:sqs:${REGION}:${ACCOUNT}:${name}`,
      'AWS::StepFunctions::StateMachine': `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${name}`,
      'AWS::Logs::LogGroup': `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${name}:*`,
      'AWS::IAM::Role': `arn:aws:iam::${ACCOUNT}:role/${name}`,
      'AWS::Lambda::Function': `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`,
      'AWS::S3::Bucket': `arn:aws:s3:::${name}`,
    };
    if (attribute === 'Arn' && type in arns) return arns[type]!;
    if (['Name', 'QueueName', 'TableName'].includes(attribute)) return name;
    if (attribute === 'QueueUrl') return this.ref(id);
    throw new Error(`cannot resolve Fn::GetAtt ${id}.${attribute} (${type})`);
  }

  private typeOf(id: string): string {
    const resource = this.resources[id];
    if (resource === undefined) throw new Error(`no resource ${id} in the template`);
    return resource.Type;
  }

  /** A resource's physical name: the one its template sets, else (as CloudFormation generates one) its id. */
  private nameOf(id: string): string {
    const properties = this.resources[id]?.Properties ?? {};
    const named = [
      'TableName',
      'QueueName',
      'StateMachineName',
      'LogGroupName',
      'RoleName',
      'FunctionName',
      'BucketName',
    ]
      .map((key) => properties[key])
      .find((value) => value !== undefined);
    return named === undefined ? id : String(this.resolve(named));
  }
}

interface AslStates {
  States: Record<
    string,
    {
      Type: string;
      Resource?: string;
      Parameters?: Record<string, Json>;
      Arguments?: Record<string, Json>;
      Branches?: AslStates[];
      Iterator?: AslStates;
      ItemProcessor?: AslStates;
    }
  >;
}

function walkTasks(machine: AslStates): { state: string; resource: string; parameters: Record<string, Json> }[] {
  return Object.entries(machine.States).flatMap(([state, definition]) => [
    ...(definition.Type === 'Task'
      ? [{ state, resource: definition.Resource!, parameters: definition.Parameters ?? definition.Arguments ?? {} }]
      : []),
    ...(definition.Branches ?? []).flatMap(walkTasks),
    ...[definition.Iterator, definition.ItemProcessor].flatMap((inner) =>
      inner === undefined ? [] : walkTasks(inner),
    ),
  ]);
}

export type Decision = 'Allowed' | 'ImplicitlyDenied' | 'ExplicitlyDenied';

/** One request against a role's identity statements, as IAM would decide it (same account, no SCPs). */
export async function simulate(statements: readonly Statement[], request: IamRequest): Promise<Decision> {
  const response = await runSimulation(
    {
      identityPolicies: [{ name: 'role', policy: { Version: '2012-10-17', Statement: statements } }],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      request: {
        action: request.action,
        principal: `arn:aws:iam::${ACCOUNT}:role/hookflow-test`,
        resource: { accountId: ACCOUNT, resource: request.resource },
        contextVariables: request.context ?? {},
      },
    },
    {},
  );
  if (response.resultType === 'error') {
    throw new Error(
      `simulation of ${request.action} on ${request.resource} refused: ${JSON.stringify(response.errors)}`,
    );
  }
  return response.overallResult as Decision;
}
