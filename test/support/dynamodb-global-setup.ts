import { startDynamoDbLocal } from '../../local/dynamodb/dynamodb-local';
import { dynamoDbBackend } from '../../local/dynamodb/start-dynamodb';
import { SHARED_ENDPOINT_ENV } from './in-memory-dynamodb';

/**
 * On the dynamodb-local backend, one JVM serves every unit test file (each file gets tables of its own): a JVM
 * per file would cost 5-30 s each on a 2-core machine. dynalite starts in milliseconds, so it needs none.
 */
export default async function globalSetup(): Promise<void> {
  if (dynamoDbBackend() !== 'dynamodb-local' || process.env[SHARED_ENDPOINT_ENV] !== undefined) return;
  const jvm = await startDynamoDbLocal();
  // Workers start after this and inherit the environment.
  process.env[SHARED_ENDPOINT_ENV] = jvm.endpoint;
  (globalThis as { hookflowDynamoDbLocal?: typeof jvm }).hookflowDynamoDbLocal = jvm;
}
