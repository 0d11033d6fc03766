import {
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { taskError } from './api-error';
import type { TaskIntegration } from './engine';

/**
 * Step Functions' optimized DynamoDB integrations (`arn:aws:states:::dynamodb:putItem` and friends, also
 * with `.waitForTaskToken`), served by the local DynamoDB: the task's parameters are the API's own input,
 * and its result the API's output, as in AWS. This is what lets a local workflow store its task token.
 */
export function dynamodbIntegrations(client: DynamoDBClient): Record<string, TaskIntegration> {
  const strip = ({ $metadata: _m, ...output }: { $metadata: unknown }) => (void _m, output);
  /** DynamoDB's errors reach the task as `DynamoDB.<name>` (e.g. for Catch on a failed condition), as in AWS. */
  const call = async (send: () => Promise<{ $metadata: unknown }>) => {
    try {
      return strip(await send());
    } catch (error) {
      const failure = error as Error;
      throw taskError(`DynamoDB.${failure.name}`, failure.message);
    }
  };
  return {
    'arn:aws:states:::dynamodb:putItem': (p) => call(() => client.send(new PutItemCommand(p as never))),
    'arn:aws:states:::dynamodb:getItem': (p) => call(() => client.send(new GetItemCommand(p as never))),
    'arn:aws:states:::dynamodb:updateItem': (p) => call(() => client.send(new UpdateItemCommand(p as never))),
    'arn:aws:states:::dynamodb:deleteItem': (p) => call(() => client.send(new DeleteItemCommand(p as never))),
  };
}
