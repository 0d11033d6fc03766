import { type CfnElement, Duration, type RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import {
  ApplicationLogLevel,
  Architecture,
  Code,
  Function as LambdaFunction,
  type FunctionProps,
  LoggingFormat,
  Runtime,
  SystemLogLevel,
  Tracing,
} from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { existsSync } from 'node:fs';
import { extname, join } from 'node:path';
import { type ServedHandler, timeoutSecondsOf } from '../functions/routes';
import { HANDLER_ENVIRONMENT, nodejsBundlingOptions, secondFilesOf } from './handler-bundling';
import { LAMBDA_OUTSIDE_VPC, acknowledgeLogGroupRules } from './guard-acknowledgements';

const root = join(__dirname, '..');

/**
 * Where a handler's code comes from. Compiled (the published package: this file is dist/lib/hookflow-function.js)
 * it is the bundle `npm run build` made, dist/handlers/<name>/index.js (and s3-body-store.js beside it where the
 * handler stores bodies: lib/handler-bundling.ts `BODY_STORE`; scripts/build-package.ts), so a consumer
 * needs no esbuild, no Docker and no lock file of ours. From source (this repository: tests, `cdk synth`, the
 * integ snapshot) NodejsFunction bundles the handler's entry (functions/styles/<style>/handlers/<name>.ts) at synth, so the code deployed is always
 * the code checked in, never a stale dist/.
 */
export const runningFromSource = extname(__filename) === '.ts';

/** The prebuilt bundle folder of a handler in the published package. */
export function prebuiltHandlerDir(name: string): string {
  return join(root, 'handlers', name);
}

export interface HookflowFunctionProps {
  readonly spec: ServedHandler;
  readonly environment: Record<string, string>;
  readonly logRetention: RetentionDays;
  readonly removalPolicy: RemovalPolicy;
  /** Lambda memory in MiB. @default 256 */
  readonly memorySize?: number;
  /** Lambda timeout. @default the handler's own (functions/routes.ts), else 10 seconds */
  readonly timeout?: Duration;
  /** Reserved concurrency. @default - none: the account's unreserved pool */
  readonly reservedConcurrentExecutions?: number;
  /** Which of Lambda's own log lines are kept (the Hookflow prop of that name). @default SystemLogLevel.WARN */
  readonly systemLogLevel?: SystemLogLevel;
  /** The least severe handler line kept (the Hookflow prop of that name). @default ApplicationLogLevel.INFO */
  readonly applicationLogLevel?: ApplicationLogLevel;
}

/**
 * Lambda's own lines kept by default: WARN and above, so not the START, END and REPORT lines (INFO) that Lambda
 * writes for every invocation, about 260 bytes of CloudWatch Logs ingestion per request, as much as a handler's
 * own line (docs/construct.md, "Logs"; bench/parts/cost.ts counts them from this value).
 */
export const DEFAULT_SYSTEM_LOG_LEVEL = SystemLogLevel.WARN;
/** Handler lines kept by default: INFO and above, one line per successful request (functions/core/logger.ts). */
export const DEFAULT_APPLICATION_LOG_LEVEL = ApplicationLogLevel.INFO;

/**
 * The function's logging configuration, its levels checked (a wrong one fails the synth naming `prop`). Lambda
 * filters by level only in the JSON log format ("To use log-level filtering, your function must be configured
 * to use the JSON log format": https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-log-level.html),
 * and the system and application levels are set apart
 * (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-advanced.html). The handlers' lines are
 * JSON already (Powertools), which Lambda does not encode again
 * (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-logformat.html); Lambda sets
 * AWS_LAMBDA_LOG_LEVEL to the application level, which Powertools' Logger obeys before POWERTOOLS_LOG_LEVEL, so
 * a line below it is never written at all.
 */
export function handlerLogging(
  levels: { readonly systemLogLevel?: SystemLogLevel; readonly applicationLogLevel?: ApplicationLogLevel },
  prop = 'HookflowFunction',
): Pick<FunctionProps, 'loggingFormat' | 'systemLogLevelV2' | 'applicationLogLevelV2'> {
  const system = levels.systemLogLevel ?? DEFAULT_SYSTEM_LOG_LEVEL;
  const application = levels.applicationLogLevel ?? DEFAULT_APPLICATION_LOG_LEVEL;
  const check = (name: string, value: string, allowed: readonly string[]) => {
    if (!allowed.includes(value)) {
      throw new Error(`${prop} ${name}: ${JSON.stringify(value)} is not one of ${allowed.join(', ')}`);
    }
  };
  check('systemLogLevel', system, Object.values(SystemLogLevel));
  check('applicationLogLevel', application, Object.values(ApplicationLogLevel));
  return { loggingFormat: LoggingFormat.JSON, systemLogLevelV2: system, applicationLogLevelV2: application };
}

/**
 * One handler of functions/routes.ts as a Lambda function: prebuilt bundle (published package) or esbuild-bundled
 * at synth (locally, no Docker, in this repository), Node 22 on arm64, its own log group with a retention, X-Ray
 * tracing, and a role that can write only its own logs.
 */
export class HookflowFunction extends Construct {
  readonly function: LambdaFunction;

  constructor(scope: Construct, id: string, props: HookflowFunctionProps) {
    super(scope, id);
    const logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    // Not AWSLambdaBasicExecutionRole: that managed policy may write to every log group in the account.
    const role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `hookflow ${props.spec.name} handler`,
    });
    role.addToPolicy(
      new PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [logGroup.logGroupArn, `${logGroup.logGroupArn}:*`],
      }),
    );
    const common = {
      description: props.spec.description,
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 256,
      ...(props.reservedConcurrentExecutions === undefined
        ? {}
        : { reservedConcurrentExecutions: props.reservedConcurrentExecutions }),
      timeout: props.timeout ?? Duration.seconds(timeoutSecondsOf(props.spec)),
      tracing: Tracing.ACTIVE,
      role,
      logGroup,
      ...handlerLogging(props),
      environment: {
        ...props.environment,
        ...HANDLER_ENVIRONMENT,
      },
    } satisfies Partial<FunctionProps>;
    if (runningFromSource) {
      this.function = new NodejsFunction(this, 'Function', {
        ...common,
        entry: join(root, 'functions', props.spec.entry),
        handler: 'handler',
        projectRoot: root,
        depsLockFilePath: join(root, 'package-lock.json'),
        // The one definition the package build, the local stack and the bench share (lib/handler-bundling.ts),
        // with the S3 body store and the fan-out queue as second files beside index.js where the handler loads them.
        bundling: nodejsBundlingOptions(secondFilesOf(props.spec)),
      });
    } else {
      const bundle = prebuiltHandlerDir(props.spec.name);
      const files = ['index.js', ...secondFilesOf(props.spec).map((second) => second.file)];
      const missing = files.find((file) => !existsSync(join(bundle, file)));
      if (missing !== undefined) {
        throw new Error(
          `hookflow: the bundle of handler ${props.spec.name} is missing (${join(bundle, missing)}): the package was built without \`npm run build\``,
        );
      }
      this.function = new LambdaFunction(this, 'Function', {
        ...common,
        code: Code.fromAsset(bundle),
        handler: 'index.handler',
      });
    }
    const logsId = Stack.of(this).getLogicalId(logGroup.node.defaultChild as CfnElement);
    Validations.of(role).acknowledge(
      {
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::<${logsId}.Arn>:*]`,
        reason: "The log streams of this function's own log group: stream names are only known at run time.",
      },
      {
        id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
        reason: 'X-Ray PutTraceSegments/PutTelemetryRecords (active tracing) support no resource-level permissions.',
      },
    );
    Validations.of(this.function).acknowledge(
      {
        id: 'AwsSolutions::AwsSolutions-L1',
        reason:
          'hookflow pins nodejs22.x: the runtime its tests and local stack run on (the node@22 devDependency). Move both together.',
      },
      LAMBDA_OUTSIDE_VPC,
    );
    acknowledgeLogGroupRules(logGroup, props.logRetention);
  }
}
