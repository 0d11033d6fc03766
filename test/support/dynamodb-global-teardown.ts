import type { RunningDynamoDbLocal } from '../../local/dynamodb/dynamodb-local';

export default async function globalTeardown(): Promise<void> {
  await (globalThis as { hookflowDynamoDbLocal?: RunningDynamoDbLocal }).hookflowDynamoDbLocal?.close();
}
