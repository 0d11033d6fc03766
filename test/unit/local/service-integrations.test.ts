import { integrationOf } from '../../../local/stepfunctions/definitions';
import {
  type IntegrationPattern,
  OPTIMIZED_INTEGRATIONS,
  checkTaskResource,
  definitionProblems,
  invalidDefinitionMessage,
  notRecognized,
} from '../../../workflows/service-integrations';

/**
 * One test per rule of AWS's integration table (workflows/service-integrations.ts), each pattern tried both
 * ways: what AWS accepts is accepted, what it refuses is refused with its message, per workflow type.
 */
const SUFFIX: Record<IntegrationPattern, string> = {
  requestResponse: '',
  sync: '.sync',
  'sync:2': '.sync:2',
  waitForTaskToken: '.waitForTaskToken',
};
const ALL_PATTERNS = Object.keys(SUFFIX) as IntegrationPattern[];
const allowed = (resource: string, type: 'STANDARD' | 'EXPRESS') => checkTaskResource(resource, type).allowed;
const refusal = (resource: string, type: 'STANDARD' | 'EXPRESS') => {
  const check = checkTaskResource(resource, type);
  return check.allowed ? undefined : check.message;
};

describe('optimized integrations, per action and pattern', () => {
  const rows = Object.entries(OPTIMIZED_INTEGRATIONS).flatMap(([service, { actions }]) =>
    Object.entries(actions).map(([action, patterns]) => ({ service, action, patterns })),
  );

  it.each(rows)(
    '$service:$action takes exactly its listed patterns in Standard, request-response only in Express',
    ({ service, action, patterns }) => {
      for (const pattern of ALL_PATTERNS) {
        const resource = `arn:aws:states:::${service}:${action}${SUFFIX[pattern]}`;
        const listed = patterns.includes(pattern);

        expect({ resource, standard: allowed(resource, 'STANDARD') }).toEqual({ resource, standard: listed });
        expect({ resource, express: allowed(resource, 'EXPRESS') }).toEqual({
          resource,
          express: listed && pattern === 'requestResponse',
        });
        if (!listed) expect(refusal(resource, 'STANDARD')).toBe(notRecognized(resource));
      }
    },
  );

  it('lists every optimized service AWS lists (summary table of the developer guide)', () => {
    expect(Object.keys(OPTIMIZED_INTEGRATIONS).sort()).toEqual(
      [
        'apigateway',
        'athena',
        'batch',
        'bedrock',
        'codebuild',
        'databrew',
        'dynamodb',
        'ecs',
        'eks',
        'elasticmapreduce',
        'emr-containers',
        'emr-serverless',
        'events',
        'glue',
        'http',
        'lambda',
        'mediaconvert',
        'sagemaker',
        'sns',
        'sqs',
        'states',
      ].sort(),
    );
  });
});

describe('the rules issue 14 names', () => {
  it('refuses dynamodb:putItem.waitForTaskToken in both types: DynamoDB is request-response only', () => {
    const resource = 'arn:aws:states:::dynamodb:putItem.waitForTaskToken';

    expect(refusal(resource, 'STANDARD')).toBe(notRecognized(resource));
    expect(refusal(resource, 'EXPRESS')).toBe(notRecognized(resource));
    for (const action of ['getItem', 'putItem', 'updateItem', 'deleteItem']) {
      expect(allowed(`arn:aws:states:::dynamodb:${action}`, 'EXPRESS')).toBe(true);
      expect(allowed(`arn:aws:states:::dynamodb:${action}.sync`, 'STANDARD')).toBe(false);
    }
    expect(allowed('arn:aws:states:::dynamodb:scan', 'STANDARD')).toBe(false);
    expect(allowed('arn:aws:states:::dynamodb:query', 'STANDARD')).toBe(false);
  });

  it('lets lambda:invoke wait for a token in Standard, never in Express, and never run .sync', () => {
    expect(allowed('arn:aws:states:::lambda:invoke', 'EXPRESS')).toBe(true);
    expect(allowed('arn:aws:states:::lambda:invoke.waitForTaskToken', 'STANDARD')).toBe(true);
    expect(refusal('arn:aws:states:::lambda:invoke.waitForTaskToken', 'EXPRESS')).toBe(
      "Express state machine does not support '.waitForTaskToken' service integration",
    );
    expect(allowed('arn:aws:states:::lambda:invoke.sync', 'STANDARD')).toBe(false);
  });

  it('gives states:startExecution .sync, .sync:2 and .waitForTaskToken in Standard only', () => {
    for (const suffix of ['.sync', '.sync:2', '.waitForTaskToken']) {
      expect(allowed(`arn:aws:states:::states:startExecution${suffix}`, 'STANDARD')).toBe(true);
      expect(refusal(`arn:aws:states:::states:startExecution${suffix}`, 'EXPRESS')).toBe(
        `Express state machine does not support '${suffix}' service integration`,
      );
    }
    // .sync:2 exists for startExecution only.
    expect(allowed('arn:aws:states:::ecs:runTask.sync:2', 'STANDARD')).toBe(false);
  });

  it('runs ECS tasks with .sync and SQS/SNS/EventBridge/API Gateway callbacks in Standard', () => {
    expect(allowed('arn:aws:states:::ecs:runTask.sync', 'STANDARD')).toBe(true);
    expect(allowed('arn:aws:states:::ecs:runTask.waitForTaskToken', 'STANDARD')).toBe(true);
    expect(allowed('arn:aws:states:::sqs:sendMessage.waitForTaskToken', 'STANDARD')).toBe(true);
    expect(allowed('arn:aws:states:::sns:publish.waitForTaskToken', 'STANDARD')).toBe(true);
    expect(allowed('arn:aws:states:::events:putEvents.waitForTaskToken', 'STANDARD')).toBe(true);
    expect(allowed('arn:aws:states:::apigateway:invoke.waitForTaskToken', 'STANDARD')).toBe(true);
    expect(allowed('arn:aws:states:::sqs:sendMessage.sync', 'STANDARD')).toBe(false);
    expect(allowed('arn:aws:states:::sqs:receiveMessage', 'STANDARD')).toBe(false);
  });

  it('refuses a callback where the service page says there is none (EKS, EMR Serverless, SageMaker, Bedrock)', () => {
    for (const resource of [
      'arn:aws:states:::eks:runJob.waitForTaskToken',
      'arn:aws:states:::emr-serverless:startJobRun.waitForTaskToken',
      'arn:aws:states:::sagemaker:createTrainingJob.waitForTaskToken',
      'arn:aws:states:::bedrock:invokeModel.waitForTaskToken',
    ]) {
      expect(refusal(resource, 'STANDARD')).toBe(notRecognized(resource));
    }
  });
});

describe('AWS SDK integrations', () => {
  const sdk = 'arn:aws:states:::aws-sdk:dynamodb:putItem';

  it('take request-response in both types', () => {
    expect(allowed(sdk, 'STANDARD')).toBe(true);
    expect(allowed(sdk, 'EXPRESS')).toBe(true);
  });

  it('take .waitForTaskToken in Standard only', () => {
    expect(allowed(`${sdk}.waitForTaskToken`, 'STANDARD')).toBe(true);
    expect(refusal(`${sdk}.waitForTaskToken`, 'EXPRESS')).toBe(
      "Express state machine does not support '.waitForTaskToken' service integration",
    );
  });

  it('never take .sync or .sync:2', () => {
    for (const type of ['STANDARD', 'EXPRESS'] as const) {
      expect(refusal(`${sdk}.sync`, type)).toBe(notRecognized(`${sdk}.sync`));
      expect(refusal(`${sdk}.sync:2`, type)).toBe(notRecognized(`${sdk}.sync:2`));
    }
  });

  it('need a lower-case service and a camelCase action', () => {
    for (const resource of [
      'arn:aws:states:::aws-sdk:dynamodb:PutItem',
      'arn:aws:states:::aws-sdk:DynamoDB:putItem',
      'arn:aws:states:::aws-sdk:dynamodb',
      'arn:aws:states:::aws-sdk:dynamodb:',
      'arn:aws:states:::aws-sdk::putItem',
    ]) {
      expect(refusal(resource, 'STANDARD')).toBe(notRecognized(resource));
    }
  });
});

describe('activities and Lambda function ARNs', () => {
  const activity = 'arn:aws:states:eu-west-1:123456789012:activity:approve';
  const fn = 'arn:aws:lambda:eu-west-1:123456789012:function:notify';

  it('run activities in Standard only', () => {
    expect(allowed(activity, 'STANDARD')).toBe(true);
    expect(refusal(activity, 'EXPRESS')).toBe('Express state machine does not support Activity ARN');
    expect(allowed(`${activity}.waitForTaskToken`, 'STANDARD')).toBe(false);
    expect(allowed('arn:aws:states:eu-west-1:123456789012:activity:', 'STANDARD')).toBe(false);
    expect(allowed('arn:aws:states:eu-west-1:1234:activity:approve', 'STANDARD')).toBe(false);
  });

  it('call a Lambda function ARN (with or without a qualifier) request-response in both types', () => {
    expect(allowed(fn, 'EXPRESS')).toBe(true);
    expect(allowed(`${fn}:live`, 'STANDARD')).toBe(true);
    expect(allowed(`${fn}:7`, 'EXPRESS')).toBe(true);
    expect(allowed(`${fn}.waitForTaskToken`, 'STANDARD')).toBe(false);
    expect(allowed('arn:aws:lambda:eu-west-1:123456789012:layer:notify', 'STANDARD')).toBe(false);
  });
});

describe('unknown resources and partitions', () => {
  it('refuses services, actions and shapes AWS does not list', () => {
    for (const resource of [
      'arn:aws:states:::s3:getObject',
      'arn:aws:states:::dynamodb:batchWriteItem',
      'arn:aws:states:::lambda:constructor',
      'arn:aws:states:::constructor:invoke',
      'arn:aws:states:::lambda:invoke.waitForTaskToken.sync',
      'arn:aws:states:::lambda',
      'lambda:invoke',
      'arn:aws:states:::lambda:invoke.WaitForTaskToken',
      '',
    ]) {
      expect(refusal(resource, 'STANDARD')).toBe(notRecognized(resource));
    }
  });

  it('accepts the aws-cn and aws-us-gov partitions as it accepts aws', () => {
    for (const partition of ['aws', 'aws-cn', 'aws-us-gov']) {
      expect(allowed(`arn:${partition}:states:::lambda:invoke.waitForTaskToken`, 'STANDARD')).toBe(true);
      expect(allowed(`arn:${partition}:states:::dynamodb:putItem.waitForTaskToken`, 'STANDARD')).toBe(false);
      expect(allowed(`arn:${partition}:lambda:cn-north-1:123456789012:function:f`, 'EXPRESS')).toBe(true);
    }
  });

  it('refuses a partition left unsubstituted or made up', () => {
    for (const partition of ['${Partition}', '<PARTITION>', 'aws-xx', 'AWS', '']) {
      const resource = `arn:${partition}:states:::lambda:invoke`;
      expect(refusal(resource, 'STANDARD')).toBe(notRecognized(resource));
    }
  });

  it('serves every partition with the integration of the aws partition, pattern apart', () => {
    expect(integrationOf('arn:aws-cn:states:::dynamodb:putItem')).toEqual({
      key: 'arn:aws:states:::dynamodb:putItem',
      pattern: 'requestResponse',
    });
    expect(integrationOf('arn:aws-us-gov:states:::aws-sdk:dynamodb:putItem.waitForTaskToken')).toEqual({
      key: 'arn:aws:states:::aws-sdk:dynamodb:putItem',
      pattern: 'waitForTaskToken',
    });
    expect(integrationOf('arn:aws:states:eu-west-1:123456789012:activity:a')).toBeUndefined();
  });
});

describe('definitions', () => {
  const bad = 'arn:aws:states:::dynamodb:putItem.waitForTaskToken';
  const task = (resource: unknown) => ({ Type: 'Task', Resource: resource, End: true });

  it('finds refused Task states inside Map (ItemProcessor and Iterator) and Parallel, naming each', () => {
    const definition = {
      StartAt: 'Fan out',
      States: {
        'Fan out': {
          Type: 'Map',
          ItemProcessor: { StartAt: 'Store', States: { Store: task(bad) } },
          Next: 'Old map',
        },
        'Old map': { Type: 'Map', Iterator: { StartAt: 'Keep', States: { Keep: task(bad) } }, Next: 'Both' },
        Both: {
          Type: 'Parallel',
          Branches: [
            { StartAt: 'Fine', States: { Fine: task('arn:aws:states:::lambda:invoke') } },
            { StartAt: 'Wait', States: { Wait: task(bad) } },
          ],
          Next: 'Top',
        },
        Top: task(bad),
      },
    };

    const problems = definitionProblems(definition, 'STANDARD');

    expect(problems.map((p) => [p.state, p.location])).toEqual([
      ['Store', '/States/Fan out/ItemProcessor/States/Store/Resource'],
      ['Keep', '/States/Old map/Iterator/States/Keep/Resource'],
      ['Wait', '/States/Both/Branches/1/States/Wait/Resource'],
      ['Top', '/States/Top/Resource'],
    ]);
  });

  it('refuses a Task whose Resource is not a string', () => {
    const problems = definitionProblems({ StartAt: 'T', States: { T: task({ 'Fn::Join': [] }) } }, 'STANDARD');

    expect(problems).toHaveLength(1);
    expect(problems[0]!.state).toBe('T');
  });

  it("words the refusal as CreateStateMachine's InvalidDefinition does", () => {
    const problems = definitionProblems({ StartAt: 'Wait', States: { Wait: task(bad) } }, 'STANDARD');

    expect(invalidDefinitionMessage(problems)).toBe(
      `Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: The resource provided ${bad} is not recognized. The value is not a valid resource ARN, or the resource is not available in this region. at /States/Wait/Resource'`,
    );
  });

  it('has no problem with a definition of only supported resources', () => {
    const definition = {
      StartAt: 'A',
      States: {
        A: { ...task('arn:aws:states:::lambda:invoke.waitForTaskToken'), End: undefined, Next: 'B' },
        B: task('arn:aws:states:::dynamodb:updateItem'),
      },
    };

    expect(definitionProblems(definition, 'STANDARD')).toEqual([]);
    expect(definitionProblems(definition, 'EXPRESS').map((p) => p.state)).toEqual(['A']);
  });
});
