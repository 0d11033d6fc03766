import {
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { TaskIntegration } from './engine';

/**
 * Step Functions' optimized DynamoDB integrations (`arn:aws:states:::dynamodb:putItem` and friends, also
 * with `.waitForTaskToken`), served by the local DynamoDB: the task's parameters are the API's own input,
 * and its result the API's output, as in AWS. This is what lets a local workflow store its task token.
 */
export function dynamodbIntegrations(client: DynamoDBClient): Record<string, TaskIntegration> {
  const strip = ({ $metadata: _m, ...output }: { $metadata: unknown }) => (void _m, output);
  return {
    'arn:aws:states:::dynamodb:putItem': async (p) => strip(await client.send(new PutItemCommand(p as never))),
    'arn:aws:states:::dynamodb:getItem': async (p) => strip(await client.send(new GetItemCommand(p as never))),
    'arn:aws:states:::dynamodb:updateItem': async (p) => strip(await client.send(new UpdateItemCommand(p as never))),
    'arn:aws:states:::dynamodb:deleteItem': async (p) => strip(await client.send(new DeleteItemCommand(p as never))),
  };
}
