import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Certificate } from 'aws-cdk-lib/aws-certificatemanager';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { ApplicationLogLevel, SystemLogLevel } from 'aws-cdk-lib/aws-lambda';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { settingNames } from '../../functions/core/config';
import { type HandlerSettings, Hookflow, type HookflowProps } from '../../lib/hookflow';

/**
 * Issue 17, item 2: each prop of the Hookflow construct does what its doc comment says, and a wrong value fails
 * the synth with an error naming the prop (or the setting), not a deploy or a cold start later.
 */

/** `aws:cdk:bundling-stacks: []` skips esbuild: these tests read the template, not the bundles. */
const newApp = () => new App({ context: { 'aws:cdk:bundling-stacks': [] } });
const env = { account: '123456789012', region: 'eu-west-1' };

function build(props: HookflowProps | ((stack: Stack) => HookflowProps)) {
  const stack = new Stack(newApp(), 'Props', { env });
  const hookflow = new Hookflow(stack, 'Hookflow', typeof props === 'function' ? props(stack) : props);
  return { stack, hookflow };
}

/** The environment and settings of one handler's function, by handler name. */
function functionOf(template: Template, stack: Stack, hookflow: Hookflow, name: string) {
  const id = stack.getLogicalId(hookflow.functions.get(name)!.node.defaultChild as never);
  return template.toJSON().Resources[id].Properties as {
    MemorySize: number;
    Timeout: number;
    Environment: { Variables: Record<string, unknown> };
    LoggingConfig: Record<string, unknown>;
  };
}

describe('Hookflow props: what each one changes', () => {
  it('handlers: memory and timeout per handler, and what follows from the timeout', () => {
    // Arrange
    const { stack, hookflow } = build({
      handlers: {
        'inbound-fanout': { memorySize: 512, timeout: Duration.seconds(120) },
        'flow-trigger': { timeout: Duration.seconds(40) },
      },
    });

    // Act
    const template = Template.fromStack(stack);

    // Assert: the settings, the defaults of the others, the lease above the timeout, the queue's visibility.
    const fanout = functionOf(template, stack, hookflow, 'inbound-fanout');
    expect([fanout.MemorySize, fanout.Timeout]).toEqual([512, 120]);
    const flowTrigger = functionOf(template, stack, hookflow, 'flow-trigger');
    expect([flowTrigger.MemorySize, flowTrigger.Timeout]).toEqual([256, 40]);
    expect(flowTrigger.Environment.Variables.DEDUPE_LEASE_SECONDS).toBe('45');
    const clientWebhook = functionOf(template, stack, hookflow, 'client-webhook');
    expect([clientWebhook.MemorySize, clientWebhook.Timeout]).toEqual([256, 29]);
    // Six times the worker's timeout, as AWS advises for a Lambda event source.
    template.hasResourceProperties('AWS::SQS::Queue', { VisibilityTimeout: 720 });
  });

  it('handlers: reserved concurrency for the handler it names, and for no other', () => {
    // Arrange
    const { stack, hookflow } = build({ handlers: { 'client-webhook': { reservedConcurrentExecutions: 200 } } });

    // Act
    const template = Template.fromStack(stack);

    // Assert
    const reservedOf = (name: string) =>
      (
        template.toJSON().Resources[stack.getLogicalId(hookflow.functions.get(name)!.node.defaultChild as never)]
          .Properties as { ReservedConcurrentExecutions?: number }
      ).ReservedConcurrentExecutions;
    expect(reservedOf('client-webhook')).toBe(200);
    expect(reservedOf('flow-trigger')).toBeUndefined();
  });

  it('handlerSettings: reach every handler as environment variables, numbers as strings', () => {
    // Arrange
    const { stack, hookflow } = build({ handlerSettings: { SYNC_WAIT_MS: 20_000, MAX_BODY_BYTES: '100000' } });

    // Act
    const template = Template.fromStack(stack);

    // Assert
    for (const name of ['client-webhook', 'flow-trigger']) {
      expect(functionOf(template, stack, hookflow, name).Environment.Variables).toMatchObject({
        SYNC_WAIT_MS: '20000',
        MAX_BODY_BYTES: '100000',
      });
    }
  });

  it('throttle, removalPolicy, logRetention, fanoutMaxReceiveCount, deadLetterAlarmActions', () => {
    // Arrange
    const { stack } = build((scope) => ({
      throttle: { rateLimit: 10, burstLimit: 20 },
      removalPolicy: RemovalPolicy.DESTROY,
      logRetention: RetentionDays.ONE_YEAR,
      fanoutMaxReceiveCount: 3,
      deadLetterAlarmActions: [new SnsAction(new Topic(scope, 'Alarms'))],
    }));

    // Act
    const template = Template.fromStack(stack);

    // Assert
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      DefaultRouteSettings: { ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20 },
    });
    template.allResources('AWS::DynamoDB::Table', { DeletionPolicy: 'Delete' });
    template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 365 });
    template.hasResourceProperties('AWS::SQS::Queue', { RedrivePolicy: Match.objectLike({ maxReceiveCount: 3 }) });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmActions: [{ Ref: Match.stringLikeRegexp('^Alarms') }],
    });
  });

  it('the defaults: retained tables, a month of logs, 100/200 throttling, 5 deliveries, no alarm action', () => {
    // Arrange
    const { stack } = build({});

    // Act
    const template = Template.fromStack(stack);

    // Assert
    template.allResources('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain' });
    template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      DefaultRouteSettings: { ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200 },
    });
    template.hasResourceProperties('AWS::SQS::Queue', { RedrivePolicy: Match.objectLike({ maxReceiveCount: 5 }) });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmActions: Match.absent() });
    template.resourceCountIs('AWS::ApiGatewayV2::DomainName', 0);
  });

  it("logs by default: JSON, Lambda's START/END/REPORT lines dropped (system WARN), handler lines from INFO", () => {
    // Arrange
    const { stack, hookflow } = build({});

    // Act
    const template = Template.fromStack(stack);

    // Assert: every handler, each with its own log group.
    expect(hookflow.functions.size).toBeGreaterThan(5);
    for (const name of hookflow.functions.keys()) {
      expect(functionOf(template, stack, hookflow, name).LoggingConfig).toEqual({
        LogFormat: 'JSON',
        SystemLogLevel: 'WARN',
        ApplicationLogLevel: 'INFO',
        LogGroup: expect.anything(),
      });
    }
  });

  it("systemLogLevel and applicationLogLevel: keep Lambda's per-invocation lines, or only warnings of the handlers", () => {
    // Arrange
    const { stack, hookflow } = build({
      systemLogLevel: SystemLogLevel.INFO,
      applicationLogLevel: ApplicationLogLevel.WARN,
    });

    // Act
    const template = Template.fromStack(stack);

    // Assert
    for (const name of hookflow.functions.keys()) {
      expect(functionOf(template, stack, hookflow, name).LoggingConfig).toMatchObject({
        LogFormat: 'JSON',
        SystemLogLevel: 'INFO',
        ApplicationLogLevel: 'WARN',
      });
    }
  });

  it('customDomain: a Regional TLS 1.2 domain name mapped to the stage', () => {
    // Arrange
    const { stack } = build((scope) => ({
      customDomain: {
        domainName: 'hooks.example.com',
        certificate: Certificate.fromCertificateArn(
          scope,
          'Cert',
          'arn:aws:acm:eu-west-1:123456789012:certificate/11111111-2222-3333-4444-555555555555',
        ),
      },
    }));

    // Act
    const template = Template.fromStack(stack);

    // Assert
    template.hasResourceProperties('AWS::ApiGatewayV2::DomainName', {
      DomainName: 'hooks.example.com',
      DomainNameConfigurations: [
        Match.objectLike({
          CertificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/11111111-2222-3333-4444-555555555555',
          EndpointType: 'REGIONAL',
          SecurityPolicy: 'TLS_1_2',
        }),
      ],
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::ApiMapping', { Stage: '$default' });
  });
});

describe('HandlerSettings', () => {
  it('documents every setting the handlers read, except the four the construct sets', () => {
    // Arrange: Required<> makes the compiler list every key of the interface here.
    const documented: Required<HandlerSettings> = {
      EXECUTION_LINK_TEMPLATE: '',
      DEDUPE_TTL_SECONDS: 0,
      DEDUPE_WAIT_MS: 0,
      DEDUPE_LEASE_SECONDS: 0,
      MAX_BODY_BYTES: 0,
      MAX_STORED_BODY_BYTES: 0,
      DELIVERY_RETENTION_DAYS: 0,
      SYNC_WAIT_MS: 0,
      EARLY_CALLBACK_TTL_SECONDS: 0,
      WAIT_ITEM_GRACE_SECONDS: 0,
      CALLBACK_CLAIM_LEASE_SECONDS: 0,
      MAX_BATCH_ITEMS: 0,
      INBOUND_MAX_BODY_BYTES: 0,
      FANOUT_BUSY_REQUEUES: 0,
      FANOUT_BUSY_BACKOFF_SECONDS: 0,
      REGISTRY_CACHE_SECONDS: 0,
      AWS_REQUEST_TIMEOUT_MS: 0,
      ANSWER_RESERVE_MS: 0,
      DELIVERY_INDEX_SHARDS: 0,
      DELIVERY_INLINE_BODY_BYTES: 0,
      DELIVERY_LIST_MAX_READ: 0,
    };

    // Act
    const read = settingNames.filter(
      (name) => !['REGISTRY_TABLE', 'DEDUPE_TABLE', 'FANOUT_QUEUE_URL', 'BODIES_BUCKET'].includes(name),
    );

    // Assert: a setting added to functions/core/config.ts must be added to HandlerSettings (and its docs) too.
    expect(Object.keys(documented).sort()).toEqual([...read].sort());
  });
});

describe('Hookflow props: a wrong value fails the synth, naming it', () => {
  it.each<[string, HookflowProps, RegExp]>([
    ['an unknown handler', { handlers: { 'flow-trigerr': { memorySize: 512 } } }, /handlers\.flow-trigerr: no such/],
    ['too little memory', { handlers: { inbound: { memorySize: 64 } } }, /handlers\.inbound\.memorySize: 64/],
    ['too much memory', { handlers: { inbound: { memorySize: 10_241 } } }, /handlers\.inbound\.memorySize/],
    [
      'a fractional memory size',
      { handlers: { inbound: { memorySize: 256.5 } } },
      /handlers\.inbound\.memorySize: 256\.5/,
    ],
    [
      'a timeout above 15 minutes',
      { handlers: { 'inbound-fanout': { timeout: Duration.minutes(16) } } },
      /handlers\.inbound-fanout\.timeout: 960 s/,
    ],
    [
      'a client-webhook timeout SYNC_WAIT_MS does not fit in',
      { handlers: { 'client-webhook': { timeout: Duration.seconds(20) } } },
      /handlerSettings\.SYNC_WAIT_MS: 25000 ms does not leave handler client-webhook \(timeout 20 s, answering 1000 ms before it\)/,
    ],
    [
      'a SYNC_WAIT_MS that leaves no room for the answer reserve',
      { handlerSettings: { SYNC_WAIT_MS: 28_000 } },
      /handlerSettings\.SYNC_WAIT_MS: 28000 ms does not leave handler client-webhook \(timeout 29 s, answering 1000 ms before it\)/,
    ],
    [
      'a duplicate that would wait past the deadline',
      { handlerSettings: { DEDUPE_WAIT_MS: 9_000 } },
      /handlerSettings\.DEDUPE_WAIT_MS: 9000 ms does not leave handler \S+ \(timeout 10 s, answering 1000 ms before it\) time to answer a duplicate/,
    ],
    [
      'an answer reserve as long as a handler timeout',
      { handlers: { 'flow-trigger': { timeout: Duration.seconds(5) } }, handlerSettings: { ANSWER_RESERVE_MS: 5_000 } },
      /handlerSettings\.ANSWER_RESERVE_MS: 5000 ms leaves handler flow-trigger \(timeout 5 s\) no time to work/,
    ],
    [
      'an unknown setting',
      { handlerSettings: { SYNC_WAIT_MSS: 1 } as never },
      /handlerSettings\.SYNC_WAIT_MSS: no such/,
    ],
    [
      'a setting the construct owns',
      { handlerSettings: { REGISTRY_TABLE: 'other' } as never },
      /handlerSettings\.REGISTRY_TABLE: set by the construct/,
    ],
    ['a setting above its limit', { handlerSettings: { SYNC_WAIT_MS: 40_000 } }, /SYNC_WAIT_MS: Too big/],
    [
      'a negative registry cache',
      { handlerSettings: { REGISTRY_CACHE_SECONDS: -1 } },
      /REGISTRY_CACHE_SECONDS: Too small/,
    ],
    ['a setting that is not a number', { handlerSettings: { MAX_BATCH_ITEMS: 'many' } }, /MAX_BATCH_ITEMS/],
    [
      'a link template without {executionArn}',
      { handlerSettings: { EXECUTION_LINK_TEMPLATE: 'https://example.com/' } },
      /EXECUTION_LINK_TEMPLATE/,
    ],
    [
      'a dedupe lease shorter than a handler timeout',
      { handlerSettings: { DEDUPE_LEASE_SECONDS: 20 } },
      /handlerSettings\.DEDUPE_LEASE_SECONDS: 20 s does not outlast handler client-webhook's timeout \(29 s\)/,
    ],
    [
      'a system log level Lambda does not have',
      { systemLogLevel: 'ERROR' as SystemLogLevel },
      /Hookflow systemLogLevel: "ERROR" is not one of INFO, DEBUG, WARN/,
    ],
    [
      'an application log level Lambda does not have',
      { applicationLogLevel: 'VERBOSE' as ApplicationLogLevel },
      /Hookflow applicationLogLevel: "VERBOSE" is not one of/,
    ],
    ['a negative rate', { throttle: { rateLimit: -1, burstLimit: 10 } }, /throttle\.rateLimit: -1/],
    ['a fractional burst', { throttle: { rateLimit: 10, burstLimit: 1.5 } }, /throttle\.burstLimit: 1\.5/],
    ['no delivery before the dead-letter queue', { fanoutMaxReceiveCount: 0 }, /fanoutMaxReceiveCount: 0/],
    ['more deliveries than SQS allows', { fanoutMaxReceiveCount: 1001 }, /fanoutMaxReceiveCount: 1001/],
    [
      'a reserved concurrency of zero',
      { handlers: { 'client-webhook': { reservedConcurrentExecutions: 0 } } },
      /handlers\.client-webhook\.reservedConcurrentExecutions: 0 is not a whole number >= 1/,
    ],
    [
      'a fan-out worker reserved below its queue maximum concurrency',
      { handlers: { 'inbound-fanout': { reservedConcurrentExecutions: 10 } } },
      /handlers\.inbound-fanout\.reservedConcurrentExecutions: 10 is below the fan-out queue's maximum concurrency \(20\)/,
    ],
  ])('%s', (_, props, message) => {
    // Arrange
    const stack = new Stack(newApp(), 'Wrong', { env });

    // Act / Assert
    expect(() => new Hookflow(stack, 'Hookflow', props)).toThrow(message);
  });
});
