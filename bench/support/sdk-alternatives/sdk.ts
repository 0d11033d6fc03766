/*
 * Variant S of bench/support/sdk-alternatives.ts: the two AWS SDK v3 clients as functions/adapters/aws/clients.ts
 * builds them (its request handler settings and cacheMiddleware), built at load as the bench's floor
 * (bench/lib/bundles.ts bundleSdkClients, variant S0) builds them, with the two commands hookflow sends most.
 * Copied rather than imported: clients.ts reads AWS_REQUEST_TIMEOUT_MS through the handlers' zod config, which
 * would put zod in this bundle and in its figures.
 */
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';

const requestHandler = {
  requestTimeout: Number(process.env.AWS_REQUEST_TIMEOUT_MS ?? 2_000),
  connectionTimeout: 1_000,
  throwOnRequestTimeout: true,
};
const dynamodb = new DynamoDBClient({ requestHandler, cacheMiddleware: true });
const sfn = new SFNClient({
  requestHandler,
  cacheMiddleware: true,
  disableHostPrefix: process.env.AWS_ENDPOINT_URL_SFN !== undefined,
});

/** Nothing to wait for: the clients are built synchronously (the loader awaits `ready` for every variant). */
export const ready = undefined;

/** hookflow's dedupe claim: PutItem with attribute_not_exists (functions/adapters/aws, DynamoDB dedupe store). */
export function putItem(table: string, pk: string): Promise<unknown> {
  return dynamodb.send(
    new PutItemCommand({
      TableName: table,
      Item: { pk: { S: pk }, at: { N: String(Date.now()) } },
      ConditionExpression: 'attribute_not_exists(pk)',
    }),
  );
}

export function startExecution(stateMachineArn: string, name: string, input: string): Promise<unknown> {
  return sfn.send(new StartExecutionCommand({ stateMachineArn, name, input }));
}

export const handler = async () => 0;
