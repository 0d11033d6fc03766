import { type CfnElement, Duration, type RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { join } from 'node:path';
import type { ServedHandler } from '../functions/routes';
import { LAMBDA_OUTSIDE_VPC, acknowledgeLogGroupRules } from './guard-acknowledgements';

const root = join(__dirname, '..');

export interface HookflowFunctionProps {
  readonly spec: ServedHandler;
  readonly environment: Record<string, string>;
  readonly logRetention: RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * One handler of functions/routes.ts as a Lambda function: esbuild-bundled (locally, no Docker), Node 22 on
 * arm64, its own log group with a retention, X-Ray tracing, and a role that can write only its own logs.
 */
export class HookflowFunction extends Construct {
  readonly function: NodejsFunction;

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
    this.function = new NodejsFunction(this, 'Function', {
      description: props.spec.description,
      entry: join(root, 'functions', props.spec.entry),
      handler: 'handler',
      projectRoot: root,
      depsLockFilePath: join(root, 'package-lock.json'),
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: 256,
      timeout: Duration.seconds(props.spec.timeoutSeconds ?? 10),
      tracing: Tracing.ACTIVE,
      role,
      logGroup,
      environment: {
        ...props.environment,
        POWERTOOLS_SERVICE_NAME: 'hookflow',
        NODE_OPTIONS: '--enable-source-maps',
      },
      bundling: {
        minify: true,
        sourceMap: true,
        target: 'node22',
        format: OutputFormat.CJS,
        // The Lambda runtime ships the AWS SDK v3.
        externalModules: ['@aws-sdk/*'],
      },
    });
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
