import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SQSClient } from '@aws-sdk/client-sqs';

/**
 * SDK clients, created once per cold start and reused by every invocation. Endpoints come from the SDK's
 * own AWS_ENDPOINT_URL_* variables, which is all the local stack changes.
 */
export const dynamodbClient = new DynamoDBClient({});

export const sfnClient = new SFNClient({
  // StartSyncExecution is served on a "sync-" host prefix in AWS; a local endpoint has no such host.
  disableHostPrefix: process.env.AWS_ENDPOINT_URL_SFN !== undefined,
});

export const sqsClient = new SQSClient({
  // Send to the configured (regional or AWS_ENDPOINT_URL_SQS) endpoint, not to the host inside a queue URL:
  // the fan-out queue is always in the function's own region.
  useQueueUrlAsEndpoint: false,
});
