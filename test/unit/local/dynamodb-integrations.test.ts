import { SFNClient, StartSyncExecutionCommand } from '@aws-sdk/client-sfn';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type LocalStepFunctions, startLocalStepFunctions } from '../../../local/stepfunctions';
import { dynamodbIntegrations } from '../../../local/stepfunctions/dynamodb-integrations';
import { startInMemoryDynamoDb } from '../../support/in-memory-dynamodb';

/**
 * The optimized DynamoDB integration as the local endpoint serves it, pinned to what AWS's does
 * (https://docs.aws.amazon.com/step-functions/latest/dg/connect-ddb.html): parameters are the API's input,
 * the result is the API's output and nothing else, and failures are named `DynamoDB.<Exception>`.
 */
const TABLE = 'dedupe';
const key = { pk: { 'S.$': '$.pk' } };
const put = (next: string, catchTo?: string) => ({
  Type: 'Task',
  Resource: 'arn:aws:states:::dynamodb:putItem',
  Parameters: { TableName: TABLE, Item: { ...key, n: { N: '1' } }, ConditionExpression: 'attribute_not_exists(pk)' },
  ResultPath: '$.put',
  ...(catchTo === undefined
    ? {}
    : {
        Catch: [{ ErrorEquals: ['DynamoDB.ConditionalCheckFailedException'], ResultPath: '$.conflict', Next: catchTo }],
      }),
  Next: next,
});
/** The definition with its TableName set to `table`. */
const onTable = (body: Record<string, unknown>, table: string): Record<string, unknown> =>
  JSON.parse(
    JSON.stringify(body).replaceAll(`"TableName":"${TABLE}"`, `"TableName":${JSON.stringify(table)}`),
  ) as Record<string, unknown>;
const definition = {
  StartAt: 'Put',
  States: {
    Put: put('Get'),
    Get: {
      Type: 'Task',
      Resource: 'arn:aws:states:::dynamodb:getItem',
      Parameters: { TableName: TABLE, Key: key },
      ResultPath: '$.get',
      Next: 'Update',
    },
    Update: {
      Type: 'Task',
      Resource: 'arn:aws:states:::dynamodb:updateItem',
      Parameters: {
        TableName: TABLE,
        Key: key,
        UpdateExpression: 'SET n = n + :one',
        ExpressionAttributeValues: { ':one': { N: '1' } },
        ReturnValues: 'UPDATED_NEW',
      },
      ResultPath: '$.update',
      Next: 'Put again',
    },
    // A failed condition: the run goes on through Catch, with AWS's error name.
    'Put again': { ...put('Unreachable', 'Invalid key'), ResultPath: '$.again' },
    Unreachable: { Type: 'Fail', Error: 'Test.Unreachable' },
    // DynamoDB's ValidationException is a common error, not a DynamoDB exception of its own.
    'Invalid key': {
      Type: 'Task',
      Resource: 'arn:aws:states:::dynamodb:getItem',
      Parameters: { TableName: TABLE, Key: { nope: { S: 'x' } } },
      Catch: [{ ErrorEquals: ['DynamoDB.AmazonDynamoDBException'], ResultPath: '$.invalid', Next: 'Delete' }],
      ResultPath: '$.unexpected',
      Next: 'Delete',
    },
    Delete: {
      Type: 'Task',
      Resource: 'arn:aws:states:::dynamodb:deleteItem',
      Parameters: { TableName: TABLE, Key: key, ReturnValues: 'ALL_OLD' },
      ResultPath: '$.delete',
      End: true,
    },
  },
};

describe('local optimized DynamoDB integration (against dynalite)', () => {
  let db: Awaited<ReturnType<typeof startInMemoryDynamoDb>>;
  let dataDir: string;
  let local: LocalStepFunctions;
  let sfn: SFNClient;

  beforeAll(async () => {
    db = await startInMemoryDynamoDb();
    dataDir = mkdtempSync(join(tmpdir(), 'hookflow-sfn-ddb-'));
    local = await startLocalStepFunctions({
      host: '127.0.0.1',
      dataDir,
      stateMachines: [
        // On a shared DynamoDB Local each test file has tables of its own (test/support/in-memory-dynamodb.ts).
        { name: 'ddb', type: 'EXPRESS', definition: onTable(definition, db.tables.dedupe) },
        {
          name: 'missing-table',
          type: 'EXPRESS',
          definition: {
            StartAt: 'Get',
            States: {
              Get: {
                Type: 'Task',
                Resource: 'arn:aws:states:::dynamodb:getItem',
                Parameters: { TableName: 'no-such-table', Key: { pk: { S: 'x' } } },
                End: true,
              },
            },
          },
        },
      ],
      integrations: dynamodbIntegrations(db.client),
    });
    sfn = new SFNClient({
      endpoint: local.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      disableHostPrefix: true,
    });
  });

  afterAll(async () => {
    await local.close();
    await db.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const run = (name: string, input: unknown) =>
    sfn.send(
      new StartSyncExecutionCommand({ stateMachineArn: local.stateMachineArn(name), input: JSON.stringify(input) }),
    );

  it("takes the API's input as parameters and gives back the API's output, nothing more", async () => {
    const execution = await run('ddb', { pk: 'item-1' });

    expect(execution.status).toBe('SUCCEEDED');
    const output = JSON.parse(execution.output!) as Record<string, unknown>;
    expect(output.put).toEqual({});
    expect(output.get).toEqual({ Item: { pk: { S: 'item-1' }, n: { N: '1' } } });
    expect(output.update).toEqual({ Attributes: { n: { N: '2' } } });
    expect(output.delete).toEqual({ Attributes: { pk: { S: 'item-1' }, n: { N: '2' } } });
  });

  it('fails a failed condition with DynamoDB.ConditionalCheckFailedException, so Catch can take it', async () => {
    const execution = await run('ddb', { pk: 'item-2' });

    const output = JSON.parse(execution.output!) as { conflict?: { Error: string; Cause: string }; again?: unknown };
    expect(output.again).toBeUndefined();
    expect(output.conflict).toEqual({
      Error: 'DynamoDB.ConditionalCheckFailedException',
      Cause: expect.stringContaining('conditional request failed'),
    });
  });

  it('names a validation failure DynamoDB.AmazonDynamoDBException', async () => {
    const execution = await run('ddb', { pk: 'item-3' });

    const output = JSON.parse(execution.output!) as { invalid?: { Error: string }; unexpected?: unknown };
    expect(output.unexpected).toBeUndefined();
    expect(output.invalid?.Error).toBe('DynamoDB.AmazonDynamoDBException');
  });

  it('fails the execution with DynamoDB.ResourceNotFoundException for a table that does not exist', async () => {
    const execution = await run('missing-table', {});

    expect(execution).toMatchObject({ status: 'FAILED', error: 'DynamoDB.ResourceNotFoundException' });
  });
});
