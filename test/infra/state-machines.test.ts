import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AttributeType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { DefinitionBody, Map as MapState, Parallel, Pass, StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { DiagnosticSeverity, TextDocument, getLanguageService } from 'amazon-states-language-service';
import { HookflowStack } from '../../lib/hookflow-stack';
import { WaitForEvent } from '../../lib/wait-for-event';
import { loadWorkflowManifest } from '../../workflows/manifest';
import {
  type WorkflowType,
  definitionProblems,
  invalidDefinitionMessage,
  taskStatesOf,
} from '../../workflows/service-integrations';

/**
 * Every state machine hookflow deploys, checked with AWS's rules before CloudFormation would: each Task
 * state's Resource against AWS's integration table (workflows/service-integrations.ts, the table the local
 * endpoint enforces too), and the whole definition with AWS's own `amazon-states-language-service`.
 * Sources: the synthesized reference stack (lib/hookflow-stack.ts), a stack built with hookflow's CDK
 * construct (WaitForEvent, also nested in Map and Parallel), and the ASL files of workflows/workflows.json.
 */
const ENV = { account: '123456789012', region: 'eu-west-1' };
const newApp = () => new App({ context: { 'aws:cdk:bundling-stacks': [] } });

interface CheckedMachine {
  readonly source: string;
  readonly name: string;
  readonly type: WorkflowType;
  readonly text: string;
}

type CfnValue = string | number | boolean | null | CfnValue[] | { [key: string]: CfnValue };
type CfnResources = Record<string, { Type: string; Properties?: Record<string, CfnValue> }>;

/**
 * A deploy-time value as a string CloudFormation could produce, so the definition can be read: pseudo
 * parameters as in the stack's environment (the partition `aws`), ARNs of functions and activities shaped as
 * AWS shapes them (a Task Resource may be one), anything else a placeholder. An intrinsic this does not know
 * fails the test rather than being guessed.
 */
function resolve(value: CfnValue, resources: CfnResources): string {
  if (typeof value === 'string') return value;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return String(value);
  const [fn, arg] = Object.entries(value)[0] ?? [];
  if (fn === 'Fn::Join' && Array.isArray(arg)) {
    const [separator, parts] = arg as [string, CfnValue[]];
    return parts.map((part) => resolve(part, resources)).join(separator);
  }
  if (fn === 'Ref' && typeof arg === 'string') return ref(arg, undefined, resources);
  if (fn === 'Fn::GetAtt' && Array.isArray(arg)) return ref(String(arg[0]), String(arg[1]), resources);
  throw new Error(`state-machines.test.ts cannot resolve ${JSON.stringify(value)}: teach resolve() this intrinsic`);
}

function ref(id: string, attribute: string | undefined, resources: CfnResources): string {
  const pseudo: Record<string, string> = {
    'AWS::Partition': 'aws',
    'AWS::Region': ENV.region,
    'AWS::AccountId': ENV.account,
    'AWS::URLSuffix': 'amazonaws.com',
    'AWS::StackName': 'Hookflow',
  };
  if (pseudo[id] !== undefined) return pseudo[id];
  const type = resources[id]?.Type;
  if (type === 'AWS::Lambda::Function' && attribute === 'Arn') {
    return `arn:aws:lambda:${ENV.region}:${ENV.account}:function:${id}`;
  }
  if (type === 'AWS::StepFunctions::Activity' && (attribute === undefined || attribute === 'Arn')) {
    return `arn:aws:states:${ENV.region}:${ENV.account}:activity:${id}`;
  }
  return `${id}-${attribute ?? 'ref'}`;
}

/** Every AWS::StepFunctions::StateMachine of a stack, definition resolved and substitutions applied. */
function machinesOf(stack: Stack, source: string): CheckedMachine[] {
  const template = Template.fromStack(stack).toJSON() as { Resources: CfnResources };
  return Object.entries(template.Resources)
    .filter(([, resource]) => resource.Type === 'AWS::StepFunctions::StateMachine')
    .map(([id, resource]) => {
      const properties = resource.Properties ?? {};
      let text = resolve(properties.DefinitionString ?? '', template.Resources);
      const substitutions = (properties.DefinitionSubstitutions ?? {}) as Record<string, CfnValue>;
      for (const [key, value] of Object.entries(substitutions)) {
        text = text.split(`\${${key}}`).join(resolve(value, template.Resources));
      }
      return {
        source,
        name: typeof properties.StateMachineName === 'string' ? properties.StateMachineName : id,
        // CloudFormation's default, as CreateStateMachine's.
        type: (properties.StateMachineType ?? 'STANDARD') as WorkflowType,
        text,
      };
    });
}

/** hookflow's CDK construct as a workflow author uses it: alone, and nested in a Map and a Parallel. */
function constructStack(): Stack {
  const stack = new Stack(newApp(), 'WaitForEventUser', { env: ENV });
  const table = new Table(stack, 'Dedupe', { partitionKey: { name: 'pk', type: AttributeType.STRING } });
  const fn = new LambdaFunction(stack, 'Notify', {
    runtime: Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: Code.fromInline('exports.handler = async () => ({})'),
  });
  // Both the table (the construct's props before issue 14's wait-step change) and the function (after it): a
  // props variable, not a literal, so whichever the construct does not take is ignored and this stays one test.
  const waitProps = { table, handler: fn, topic: 'approval', timeout: Duration.hours(1) };
  const wait = (id: string) => new WaitForEvent(stack, id, waitProps);
  new StateMachine(stack, 'Orders', {
    stateMachineName: 'orders',
    definitionBody: DefinitionBody.fromChainable(
      new LambdaInvoke(stack, 'Notify approver', { lambdaFunction: fn }).next(wait('Wait for approval')),
    ),
  });
  new StateMachine(stack, 'Batches', {
    stateMachineName: 'batches',
    definitionBody: DefinitionBody.fromChainable(
      new MapState(stack, 'Each order')
        .itemProcessor(wait('Wait per order'))
        .next(new Parallel(stack, 'Both').branch(wait('Wait in branch')).branch(new Pass(stack, 'Log'))),
    ),
  });
  return stack;
}

/**
 * What the stack substitutes into the ASL files at deploy time (lib/example-workflows.ts), as values of the
 * shapes CloudFormation would give. A placeholder left over fails the check below, naming it.
 */
const ASL_SUBSTITUTIONS = {
  Partition: 'aws',
  DedupeTable: 'hookflow-dedupe',
  WaitForEventFunction: `arn:aws:lambda:${ENV.region}:${ENV.account}:function:hookflow-wait-for-event`,
};

const machines: CheckedMachine[] = [
  ...machinesOf(new HookflowStack(newApp(), 'Hookflow', { demo: true, env: ENV }), 'reference stack'),
  ...machinesOf(constructStack(), 'WaitForEvent construct'),
  ...loadWorkflowManifest(undefined, ASL_SUBSTITUTIONS).map((w) => ({
    source: 'workflows/',
    name: w.name,
    type: w.type,
    text: JSON.stringify(w.definition),
  })),
];

describe('every state machine hookflow deploys, against AWS rules', () => {
  it('counts what it checks', () => {
    const tasks = machines.reduce((n, m) => n + taskStatesOf(JSON.parse(m.text) as Record<string, unknown>).length, 0);
    const bySource = [...new Set(machines.map((m) => m.source))]
      .map((source) => `${machines.filter((m) => m.source === source).length} from ${source}`)
      .join(', ');

    console.log(`state machines checked: ${machines.length} (${bySource}); Task states checked: ${tasks}`);

    // The reference stack deploys one state machine per workflows.json entry, and each is checked twice
    // (synthesized and from its file); the construct stack adds two.
    expect(machines.filter((m) => m.source === 'reference stack')).toHaveLength(
      machines.filter((m) => m.source === 'workflows/').length,
    );
    expect(machines.filter((m) => m.source === 'WaitForEvent construct')).toHaveLength(2);
    expect(tasks).toBeGreaterThan(0);
  });

  it('leaves no definition substitution unfilled', () => {
    const unfilled = machines.flatMap((m) => (m.text.match(/\$\{\w+\}/g) ?? []).map((p) => `${m.name}: ${p}`));

    expect(unfilled).toEqual([]);
  });

  it.each(machines.map((m) => [`${m.source}: ${m.name} (${m.type})`, m] as const))(
    '%s: every Task resource is one AWS accepts for its type',
    (_label, machine) => {
      const problems = definitionProblems(JSON.parse(machine.text) as Record<string, unknown>, machine.type);

      // On failure: the message CreateStateMachine would answer, naming each state.
      expect(problems.length === 0 ? 'accepted' : invalidDefinitionMessage(problems)).toBe('accepted');
    },
  );

  it.each(machines.map((m) => [`${m.source}: ${m.name}`, m] as const))(
    "%s: AWS's amazon-states-language-service reports no error",
    async (_label, machine) => {
      const service = getLanguageService({});
      const document = TextDocument.create(`file:///${machine.name}.asl.json`, 'json', 0, machine.text);

      const diagnostics = await service.doValidation(document, service.parseJSONDocument(document));

      const errors = diagnostics
        .filter((d) => d.severity === DiagnosticSeverity.Error)
        .map((d) => `${d.message} at ${JSON.stringify(document.getText(d.range))}`);
      expect(errors).toEqual([]);
    },
  );

  it("finds the language service's errors (it is not silently passing everything)", async () => {
    const service = getLanguageService({});
    const broken = JSON.stringify({ StartAt: 'Missing', States: { Here: { Type: 'Pass', End: true, Bogus: 1 } } });
    const document = TextDocument.create('file:///broken.asl.json', 'json', 0, broken);

    const diagnostics = await service.doValidation(document, service.parseJSONDocument(document));

    expect(diagnostics.filter((d) => d.severity === DiagnosticSeverity.Error).length).toBeGreaterThan(0);
  });
});
