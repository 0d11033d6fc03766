/**
 * Sets (or with --remove, clears) the key of a client webhook (seed 2) the stack registered. Generates a
 * random key, stores only its SHA-256 on the registration, prints the key once. Keys never go into a
 * CloudFormation template, and stack updates leave them alone.
 *
 *   npx tsx scripts/set-client-webhook-key.ts --table <RegistryTableName> --client myclient --name signup [--remove]
 */
import { DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { clientWebhookKey } from '../functions/adapters/aws/registry-items';
import { sha256Hex } from '../functions/core/auth/secrets';

const { values } = parseArgs({
  options: {
    table: { type: 'string' },
    client: { type: 'string' },
    name: { type: 'string' },
    remove: { type: 'boolean', default: false },
  },
});

async function main(): Promise<void> {
  if (values.table === undefined || values.client === undefined || values.name === undefined) {
    throw new Error(
      'usage: set-client-webhook-key --table <registry table> --client <client> --name <webhook> [--remove]',
    );
  }
  const key = `hf_webhook_${randomBytes(24).toString('base64url')}`;
  await new DynamoDBClient({}).send(
    new UpdateItemCommand({
      TableName: values.table,
      Key: marshall(clientWebhookKey(values.client, values.name)),
      // Only an existing registration: a typo must not create a half registration.
      ConditionExpression: 'attribute_exists(pk)',
      ...(values.remove
        ? { UpdateExpression: 'REMOVE keyHash' }
        : { UpdateExpression: 'SET keyHash = :h', ExpressionAttributeValues: marshall({ ':h': sha256Hex(key) }) }),
    }),
  );
  process.stdout.write(
    values.remove
      ? `webhook ${values.client}/${values.name} is now open (no key)\n`
      : `key of webhook ${values.client}/${values.name}. Shown once, stored only as a hash:\n${key}\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`set-client-webhook-key: ${(error as Error).message}\n`);
  process.exit(1);
});
