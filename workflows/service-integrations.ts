/**
 * AWS's table of what a Step Functions Task state may name in its `Resource`, per workflow type: the one
 * source both the local Step Functions endpoint (local/stepfunctions) and the infra tests
 * (test/infra/state-machines.test.ts) check definitions against. A Resource this table refuses is one
 * CreateStateMachine refuses with InvalidDefinition, so the stack would not deploy.
 *
 * Sources (developer guide, read 2026-11):
 * - Patterns per optimized service and per workflow type ("Optimized integrations for Step Functions" /
 *   "Integrating optimized services"): https://docs.aws.amazon.com/step-functions/latest/dg/integrate-optimized.html
 *   and https://docs.aws.amazon.com/step-functions/latest/dg/connect-supported-services.html
 *   "Standard Workflows and Express Workflows support the same integrations but not the same integration
 *   patterns ... Express Workflows only support Request Response integrations."
 * - The actions of each optimized service, and which pattern each action takes: the service's own page,
 *   cited beside its row below. Where the summary table and the service's page disagree (EKS and Bedrock:
 *   the summary marks Wait for Callback "Standard", the service pages list no action with it, and the EKS
 *   page says "The Wait for a Callback with the Task Token integration pattern is not supported"), the
 *   stricter one is encoded: a local stand-in may never accept what AWS might refuse.
 * - AWS SDK integrations, `arn:aws:states:::aws-sdk:<serviceName>:<apiAction>[.<pattern>]`:
 *   https://docs.aws.amazon.com/step-functions/latest/dg/supported-services-awssdk.html ("Over two hundred
 *   services | Standard & Express | Run a Job: Not supported | Wait for Callback: Standard").
 * - Activities (`arn:aws:states:<region>:<account>:activity:<name>`) run in Standard workflows only:
 *   https://docs.aws.amazon.com/step-functions/latest/dg/choosing-workflow-type.html (Activities: Express
 *   "Not supported"); https://docs.aws.amazon.com/step-functions/latest/dg/concepts-activities.html
 * - A Lambda function ARN as the Resource (the original, request-response form):
 *   https://docs.aws.amazon.com/step-functions/latest/dg/state-task.html
 * - Partitions an ARN may name: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html
 *   (aws, aws-cn, aws-us-gov). An unsubstituted placeholder (`arn:${Partition}:…`) is not an ARN.
 * - The error CreateStateMachine answers: `InvalidDefinition` with "Invalid State Machine Definition:
 *   'SCHEMA_VALIDATION_FAILED: The resource provided <arn> is not recognized. The value is not a valid
 *   resource ARN, or the resource is not available in this region. at /States/<state>/Resource'"
 *   (https://docs.aws.amazon.com/step-functions/latest/apireference/API_CreateStateMachine.html#API_CreateStateMachine_Errors;
 *   message text as AWS returns it, quoted in public reports of that error).
 */

export type WorkflowType = 'STANDARD' | 'EXPRESS';

/** Request Response (no suffix), Run a Job (`.sync`, `.sync:2`), Wait for Callback (`.waitForTaskToken`). */
export type IntegrationPattern = 'requestResponse' | 'sync' | 'sync:2' | 'waitForTaskToken';

const RR: readonly IntegrationPattern[] = ['requestResponse'];
const RR_SYNC: readonly IntegrationPattern[] = ['requestResponse', 'sync'];
const RR_CALLBACK: readonly IntegrationPattern[] = ['requestResponse', 'waitForTaskToken'];

export interface OptimizedService {
  readonly title: string;
  /** The developer guide page that lists this service's actions and their patterns. */
  readonly docs: string;
  /** Action as written in the Resource (`arn:aws:states:::<service>:<action>`) → the patterns it takes in Standard. */
  readonly actions: Readonly<Record<string, readonly IntegrationPattern[]>>;
}

const guide = (page: string) => `https://docs.aws.amazon.com/step-functions/latest/dg/${page}.html`;

/**
 * Every optimized integration AWS lists, keyed by the service part of `arn:aws:states:::<service>:<action>`.
 * The patterns are what Standard workflows accept; Express workflows accept `requestResponse` only.
 */
export const OPTIMIZED_INTEGRATIONS: Readonly<Record<string, OptimizedService>> = {
  apigateway: { title: 'Amazon API Gateway', docs: guide('connect-api-gateway'), actions: { invoke: RR_CALLBACK } },
  athena: {
    title: 'Amazon Athena',
    docs: guide('connect-athena'),
    actions: {
      startQueryExecution: RR_SYNC,
      stopQueryExecution: RR,
      getQueryExecution: RR,
      getQueryResults: RR,
    },
  },
  batch: { title: 'AWS Batch', docs: guide('connect-batch'), actions: { submitJob: RR_SYNC } },
  bedrock: {
    title: 'Amazon Bedrock',
    docs: guide('connect-bedrock'),
    actions: { invokeModel: RR, createModelCustomizationJob: RR_SYNC },
  },
  codebuild: {
    title: 'AWS CodeBuild',
    docs: guide('connect-codebuild'),
    actions: {
      startBuild: RR_SYNC,
      stopBuild: RR,
      batchDeleteBuilds: RR,
      batchGetReports: RR,
      startBuildBatch: RR_SYNC,
      stopBuildBatch: RR,
      retryBuildBatch: RR_SYNC,
      deleteBuildBatch: RR,
    },
  },
  // "Amazon DynamoDB | Standard & Express | Not supported | Not supported": request-response only. The
  // reference stack's putItem.waitForTaskToken was refused here (issue 14).
  dynamodb: {
    title: 'Amazon DynamoDB',
    docs: guide('connect-ddb'),
    actions: { getItem: RR, putItem: RR, updateItem: RR, deleteItem: RR },
  },
  ecs: {
    title: 'Amazon ECS/Fargate',
    docs: guide('connect-ecs'),
    actions: { runTask: ['requestResponse', 'sync', 'waitForTaskToken'] },
  },
  eks: {
    title: 'Amazon EKS',
    docs: guide('connect-eks'),
    actions: {
      createCluster: RR_SYNC,
      deleteCluster: RR_SYNC,
      createFargateProfile: RR_SYNC,
      deleteFargateProfile: RR_SYNC,
      createNodegroup: RR_SYNC,
      deleteNodegroup: RR_SYNC,
      runJob: RR_SYNC,
      call: RR,
    },
  },
  elasticmapreduce: {
    title: 'Amazon EMR',
    docs: guide('connect-emr'),
    actions: {
      createCluster: RR_SYNC,
      terminateCluster: RR_SYNC,
      addStep: RR_SYNC,
      cancelStep: RR,
      setClusterTerminationProtection: RR,
      modifyInstanceFleetByName: RR,
      modifyInstanceGroupByName: RR,
    },
  },
  'emr-containers': {
    title: 'Amazon EMR on EKS',
    docs: guide('connect-emr-eks'),
    actions: { createVirtualCluster: RR, deleteVirtualCluster: RR_SYNC, startJobRun: RR_SYNC },
  },
  // "The Wait for a Callback with Task Token integration pattern is not supported."
  'emr-serverless': {
    title: 'Amazon EMR Serverless',
    docs: guide('connect-emr-serverless'),
    actions: {
      createApplication: RR_SYNC,
      startApplication: RR_SYNC,
      stopApplication: RR_SYNC,
      deleteApplication: RR_SYNC,
      startJobRun: RR_SYNC,
      cancelJobRun: RR_SYNC,
    },
  },
  events: { title: 'Amazon EventBridge', docs: guide('connect-eventbridge'), actions: { putEvents: RR_CALLBACK } },
  glue: { title: 'AWS Glue', docs: guide('connect-glue'), actions: { startJobRun: RR_SYNC } },
  databrew: { title: 'AWS Glue DataBrew', docs: guide('connect-databrew'), actions: { startJobRun: RR_SYNC } },
  // HTTP Task: https://docs.aws.amazon.com/step-functions/latest/dg/connect-third-party-apis.html
  http: { title: 'HTTP Task (HTTPS APIs)', docs: guide('connect-third-party-apis'), actions: { invoke: RR } },
  // "AWS Lambda | Standard & Express | Not supported | Standard": invoke takes a callback, never .sync.
  lambda: { title: 'AWS Lambda', docs: guide('connect-lambda'), actions: { invoke: RR_CALLBACK } },
  mediaconvert: {
    title: 'AWS Elemental MediaConvert',
    docs: guide('connect-mediaconvert'),
    actions: { createJob: RR_SYNC },
  },
  // "The Wait for a Callback with Task Token integration pattern is not supported."
  sagemaker: {
    title: 'Amazon SageMaker AI',
    docs: guide('connect-sagemaker'),
    actions: {
      createEndpoint: RR,
      createEndpointConfig: RR,
      createHyperParameterTuningJob: RR_SYNC,
      createLabelingJob: RR_SYNC,
      createModel: RR,
      createProcessingJob: RR_SYNC,
      createTrainingJob: RR_SYNC,
      createTransformJob: RR_SYNC,
      updateEndpoint: RR,
    },
  },
  sns: { title: 'Amazon SNS', docs: guide('connect-sns'), actions: { publish: RR_CALLBACK } },
  sqs: { title: 'Amazon SQS', docs: guide('connect-sqs'), actions: { sendMessage: RR_CALLBACK } },
  // ".sync:2" (output parsed as JSON) exists for this one action only.
  states: {
    title: 'AWS Step Functions',
    docs: guide('connect-stepfunctions'),
    actions: { startExecution: ['requestResponse', 'sync', 'sync:2', 'waitForTaskToken'] },
  },
};

/** AWS SDK integrations: request-response in both types, a callback in Standard only, never `.sync`. */
export const AWS_SDK_PATTERNS: Readonly<Record<WorkflowType, readonly IntegrationPattern[]>> = {
  STANDARD: ['requestResponse', 'waitForTaskToken'],
  EXPRESS: ['requestResponse'],
};

/** The partitions an ARN may name (IAM User Guide, "IAM ARNs"). */
export const PARTITIONS: readonly string[] = ['aws', 'aws-cn', 'aws-us-gov'];

export type TaskResource =
  | {
      readonly kind: 'optimized' | 'aws-sdk';
      readonly partition: string;
      readonly service: string;
      readonly action: string;
      readonly pattern: IntegrationPattern;
    }
  | { readonly kind: 'activity'; readonly partition: string; readonly name: string }
  | { readonly kind: 'lambda-function'; readonly partition: string; readonly name: string };

/** us-east-1, eu-central-1, us-gov-west-1, cn-north-1, ... */
const REGION = '[a-z]{2}(?:-[a-z]+)+-\\d';

const PATTERN_SUFFIXES: readonly [string, IntegrationPattern][] = [
  ['.waitForTaskToken', 'waitForTaskToken'],
  ['.sync:2', 'sync:2'],
  ['.sync', 'sync'],
];

/**
 * Reads a Task Resource into its parts, or undefined when it has none of AWS's shapes. Says nothing yet about
 * whether the action or pattern exists: that is `checkTaskResource`.
 */
export function parseTaskResource(resource: string): TaskResource | undefined {
  const partitions = PARTITIONS.map((p) => p.replace(/-/g, '\\-')).join('|');
  const integration = new RegExp(`^arn:(${partitions}):states:::(.+)$`).exec(resource);
  if (integration !== null) {
    const partition = integration[1]!;
    let rest = integration[2]!;
    let pattern: IntegrationPattern = 'requestResponse';
    for (const [suffix, name] of PATTERN_SUFFIXES) {
      if (rest.endsWith(suffix)) {
        pattern = name;
        rest = rest.slice(0, -suffix.length);
        break;
      }
    }
    // aws-sdk:<serviceName>:<apiAction>: the service as the SDK names it, lower case; the action camelCase.
    const sdk = /^aws-sdk:([a-z0-9]+):([a-z][A-Za-z0-9]*)$/.exec(rest);
    if (sdk !== null) return { kind: 'aws-sdk', partition, service: sdk[1]!, action: sdk[2]!, pattern };
    const optimized = /^([a-z0-9-]+):([a-z][A-Za-z0-9]*)$/.exec(rest);
    if (optimized !== null) {
      return { kind: 'optimized', partition, service: optimized[1]!, action: optimized[2]!, pattern };
    }
    return undefined;
  }
  const activity = new RegExp(`^arn:(${partitions}):states:${REGION}:\\d{12}:activity:([A-Za-z0-9_-]{1,80})$`).exec(
    resource,
  );
  if (activity !== null) return { kind: 'activity', partition: activity[1]!, name: activity[2]! };
  // A function name, with an optional version or alias qualifier.
  const lambda = new RegExp(
    `^arn:(${partitions}):lambda:${REGION}:\\d{12}:function:([A-Za-z0-9_-]{1,64})(?::[A-Za-z0-9_$-]{1,128})?$`,
  ).exec(resource);
  if (lambda !== null) return { kind: 'lambda-function', partition: lambda[1]!, name: lambda[2]! };
  return undefined;
}

export type ResourceCheck =
  { readonly allowed: true; readonly resource: TaskResource } | { readonly allowed: false; readonly message: string };

/** AWS's wording for a Resource it does not know (or a pattern the integration lacks). */
export const notRecognized = (resource: string) =>
  `The resource provided ${resource} is not recognized. The value is not a valid resource ARN, or the resource is not available in this region.`;

const PATTERN_SUFFIX: Record<IntegrationPattern, string> = {
  requestResponse: '',
  sync: '.sync',
  'sync:2': '.sync:2',
  waitForTaskToken: '.waitForTaskToken',
};

/** Own properties only: an action named `constructor` must not find Object's. */
function optimizedPatterns(r: { service: string; action: string }): readonly IntegrationPattern[] | undefined {
  if (!Object.hasOwn(OPTIMIZED_INTEGRATIONS, r.service)) return undefined;
  const actions = OPTIMIZED_INTEGRATIONS[r.service]!.actions;
  return Object.hasOwn(actions, r.action) ? actions[r.action] : undefined;
}

/** Whether AWS accepts `resource` as a Task Resource in a `type` state machine, with AWS's reason if not. */
export function checkTaskResource(resource: string, type: WorkflowType): ResourceCheck {
  const parsed = parseTaskResource(resource);
  if (parsed === undefined) return { allowed: false, message: notRecognized(resource) };
  switch (parsed.kind) {
    case 'lambda-function':
      return { allowed: true, resource: parsed };
    case 'activity':
      return type === 'STANDARD'
        ? { allowed: true, resource: parsed }
        : { allowed: false, message: 'Express state machine does not support Activity ARN' };
    case 'aws-sdk':
    case 'optimized': {
      const supported = parsed.kind === 'aws-sdk' ? AWS_SDK_PATTERNS.STANDARD : optimizedPatterns(parsed);
      if (supported === undefined || !supported.includes(parsed.pattern)) {
        return { allowed: false, message: notRecognized(resource) };
      }
      if (type === 'EXPRESS' && parsed.pattern !== 'requestResponse') {
        return {
          allowed: false,
          message: `Express state machine does not support '${PATTERN_SUFFIX[parsed.pattern]}' service integration`,
        };
      }
      return { allowed: true, resource: parsed };
    }
  }
}

/** One Task state of a definition, with its JSON-pointer-like location as AWS reports it (`/States/<name>`). */
export interface TaskStateRef {
  readonly name: string;
  readonly location: string;
  readonly resource: unknown;
}

type Json = Record<string, unknown>;

/** Every Task state of a definition, also inside Parallel branches and Map processors, with its location. */
export function taskStatesOf(definition: Json, at = ''): TaskStateRef[] {
  const found: TaskStateRef[] = [];
  const states = (definition.States ?? {}) as Record<string, Json>;
  for (const [name, body] of Object.entries(states)) {
    const location = `${at}/States/${name}`;
    if (body.Type === 'Task') found.push({ name, location, resource: body.Resource });
    if (body.ItemProcessor !== undefined)
      found.push(...taskStatesOf(body.ItemProcessor as Json, `${location}/ItemProcessor`));
    if (body.Iterator !== undefined) found.push(...taskStatesOf(body.Iterator as Json, `${location}/Iterator`));
    ((body.Branches ?? []) as Json[]).forEach((branch, i) => {
      found.push(...taskStatesOf(branch, `${location}/Branches/${i}`));
    });
  }
  return found;
}

export interface DefinitionProblem {
  readonly state: string;
  readonly location: string;
  readonly message: string;
}

/** Every Task state whose Resource AWS would refuse in a `type` state machine. */
export function definitionProblems(definition: Json, type: WorkflowType): DefinitionProblem[] {
  return taskStatesOf(definition).flatMap((task) => {
    const check =
      typeof task.resource === 'string'
        ? checkTaskResource(task.resource, type)
        : { allowed: false as const, message: notRecognized(String(task.resource)) };
    return check.allowed ? [] : [{ state: task.name, location: `${task.location}/Resource`, message: check.message }];
  });
}

/** The message CreateStateMachine's InvalidDefinition carries for these problems. */
export function invalidDefinitionMessage(problems: readonly DefinitionProblem[]): string {
  const details = problems.map((p) => `SCHEMA_VALIDATION_FAILED: ${p.message} at ${p.location}`).join(', ');
  return `Invalid State Machine Definition: '${details}'`;
}
