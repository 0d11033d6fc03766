// Starts DynamoDB Local and reports its JVM's pid on stdout, then idles until killed: the process a test
// SIGKILLs to prove that the JVM dies with the process that started it.
import { startDynamoDbLocal } from '../../local/dynamodb/dynamodb-local';

void startDynamoDbLocal().then((jvm) => {
  process.stdout.write(`${JSON.stringify({ pid: jvm.pid, endpoint: jvm.endpoint })}\n`);
  setInterval(() => undefined, 60_000);
});
