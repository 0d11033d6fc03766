/*
 * Variant L of bench/support/sdk-alternatives.ts: @aws-lite/client with its DynamoDB plugin; Step Functions (no
 * plugin) through the client's raw signed request to the `states` service. A bench tool only: nothing under
 * functions/, lib/ or local/ imports @aws-lite/*.
 */
import awsLite from '@aws-lite/client';
import dynamodbPlugin from '@aws-lite/dynamodb';

/** The client with the method the DynamoDB plugin adds (its types are a separate package, not installed). */
type Client = awsLite.AwsLiteClient & {
  readonly DynamoDB: { PutItem(input: Record<string, unknown>): Promise<unknown> };
};
let aws: Client;

/**
 * The client is created asynchronously (plugins, endpoint, credentials, region), at load: the loader awaits this,
 * in the measured process, so its cost is in the load figures.
 */
export const ready: Promise<void> = awsLite({ plugins: [dynamodbPlugin] }).then((client) => {
  aws = client as Client;
});

export function putItem(table: string, pk: string): Promise<unknown> {
  return aws.DynamoDB.PutItem({
    TableName: table,
    Item: { pk, at: Date.now() }, // plain JavaScript: the plugin marshals Item
    ConditionExpression: 'attribute_not_exists(pk)',
  });
}

/**
 * StartExecution as Step Functions' JSON 1.0 API takes it
 * (https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html).
 */
export async function startExecution(stateMachineArn: string, name: string, input: string): Promise<unknown> {
  const result = await aws({
    service: 'states',
    method: 'POST',
    path: '/',
    headers: { 'X-Amz-Target': 'AWSStepFunctions.StartExecution', 'content-type': 'application/x-amz-json-1.0' },
    awsjson: false, // else the client DynamoDB-marshals the body of any x-amz-json request
    payload: { stateMachineArn, name, input },
  });
  return result.payload;
}

export const handler = async () => 0;
