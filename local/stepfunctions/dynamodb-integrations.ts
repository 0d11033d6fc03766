import {
  DeleteItemCommand,
  type DynamoDBClient,
  DynamoDBServiceException,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { taskError } from './api-error';
import type { TaskIntegration } from './engine';

/**
 * Step Functions' optimized DynamoDB integration (`arn:aws:states:::dynamodb:getItem|putItem|updateItem|
 * deleteItem`, request-response only: https://docs.aws.amazon.com/step-functions/latest/dg/connect-ddb.html),
 * served by the local DynamoDB. As in AWS:
 * - the task's parameters are the API's own input (TableName, Key, Item, ConditionExpression, ...);
 * - its result is the API's output (`{ Item }`, `{ Attributes }`, `{}`), nothing added;
 * - a failed call fails the task with `DynamoDB.<Exception>` (so Catch/Retry can match it) and the service's
 *   message as its cause.
 * The pattern check (no `.waitForTaskToken`, no `.sync`) happens when a definition is loaded, against
 * workflows/service-integrations.ts: this integration never sees one.
 */
export function dynamodbIntegrations(client: DynamoDBClient): Record<string, TaskIntegration> {
  const strip = ({ $metadata: _m, ...output }: { $metadata: unknown }) => (void _m, output);
  const call = async (send: () => Promise<{ $metadata: unknown }>) => {
    try {
      return strip(await send());
    } catch (error) {
      const failure = error as Error;
      throw taskError(dynamodbErrorName(failure), failure.message);
    }
  };
  return {
    'arn:aws:states:::dynamodb:putItem': (p) => call(() => client.send(new PutItemCommand(p as never))),
    'arn:aws:states:::dynamodb:getItem': (p) => call(() => client.send(new GetItemCommand(p as never))),
    'arn:aws:states:::dynamodb:updateItem': (p) => call(() => client.send(new UpdateItemCommand(p as never))),
    'arn:aws:states:::dynamodb:deleteItem': (p) => call(() => client.send(new DeleteItemCommand(p as never))),
  };
}

/**
 * The error name a DynamoDB failure reaches a Task with. Step Functions names an integration's errors
 * `<Service>.<exception class>` after the AWS SDK for Java (for SDK integrations the guide says so outright,
 * Exception suffix included: https://docs.aws.amazon.com/step-functions/latest/dg/supported-services-awssdk.html),
 * and the optimized DynamoDB integration does the same with the `DynamoDB` prefix
 * (`DynamoDB.ConditionalCheckFailedException`). An error the DynamoDB API does not model as its own exception
 * (ValidationException, AccessDeniedException, ...: the common errors,
 * https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/CommonErrors.html) has no class of its own
 * in that SDK and arrives as its base class: `DynamoDB.AmazonDynamoDBException`.
 */
export function dynamodbErrorName(error: Error): string {
  if (!(error instanceof DynamoDBServiceException) || COMMON_ERRORS.has(error.name)) {
    return 'DynamoDB.AmazonDynamoDBException';
  }
  return `DynamoDB.${error.name.endsWith('Exception') ? error.name : `${error.name}Exception`}`;
}

/**
 * Errors that are not DynamoDB's own exceptions: the API reference's "Common Errors", and the protocol-level
 * ones the developer guide lists beside them
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Programming.Errors.html).
 */
const COMMON_ERRORS: ReadonlySet<string> = new Set([
  'AccessDeniedException',
  'IncompleteSignature',
  'InternalFailure',
  'InvalidAction',
  'InvalidClientTokenId',
  'NotAuthorized',
  'OptInRequired',
  'RequestExpired',
  'ServiceUnavailable',
  'ThrottlingException',
  'ValidationError',
  'ValidationException',
  'UnrecognizedClientException',
  'MissingAuthenticationTokenException',
  'SerializationException',
  'UnknownOperationException',
]);
