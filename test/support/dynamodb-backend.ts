import { type DynamoDbBackend, dynamoDbBackend } from '../../local/dynamodb/start-dynamodb';

/** The DynamoDB backend this run uses (HOOKFLOW_DYNAMODB): dynalite by default, or dynamodb-local. */
export const backend: DynamoDbBackend = dynamoDbBackend();

/**
 * Defines the block only on `only`: for tests that pin behaviour one backend does not share (dynalite is not
 * DynamoDB where docs/dynamodb.md says so). On the other backend the tests are not defined at all (lint bans
 * `.skip`, and a skipped test would read as a pass) and the run says so, once per block.
 */
export function describeOn(only: DynamoDbBackend, name: string, body: () => void): void {
  if (backend === only) {
    describe(`${name} (on ${only})`, body);
    return;
  }
  const how = only === 'dynamodb-local' ? 'npm run test:dynamodb-local' : 'npm run test:unit';
  process.stdout.write(`[hookflow] not run on ${backend}: "${name}" (runs on ${only}: ${how})\n`);
}
