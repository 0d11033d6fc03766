/**
 * Sets the Inbound-Webhook-Secret that POST /inbound accepts (seed 4). Generates a random secret, stores
 * only its SHA-256 in the registry, prints the secret once. By default the new secret is added next to the
 * current ones, so senders can move over before `--only` drops the old ones (rotation without downtime).
 *
 *   npx tsx scripts/set-inbound-secret.ts --table <RegistryTableName> [--only]
 */
import { DynamoDBClient, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { inboundSecretItem, inboundSecretKey } from '../functions/adapters/aws/registry-items';
import { sha256Hex } from '../functions/core/auth/secrets';

const { values } = parseArgs({ options: { table: { type: 'string' }, only: { type: 'boolean', default: false } } });

async function main(): Promise<void> {
  if (values.table === undefined) throw new Error('usage: set-inbound-secret --table <registry table> [--only]');
  const client = new DynamoDBClient({});
  const current = await client.send(new GetItemCommand({ TableName: values.table, Key: marshall(inboundSecretKey()) }));
  const kept = values.only ? [] : ((current.Item ? unmarshall(current.Item).secretHashes : []) as string[]);
  const secret = `hf_inbound_${randomBytes(24).toString('base64url')}`;
  // Only the hashes change: a verifier set on the same item (scripts/set-verifier.ts) stays.
  const { pk: _pk, sk: _sk, ...attributes } = inboundSecretItem([...kept, sha256Hex(secret)]);
  await client.send(
    new UpdateItemCommand({
      TableName: values.table,
      Key: marshall(inboundSecretKey()),
      UpdateExpression: 'SET #type = :type, secretHashes = :hashes',
      ExpressionAttributeNames: { '#type': 'type' },
      ExpressionAttributeValues: marshall({ ':type': attributes.type, ':hashes': attributes.secretHashes }),
    }),
  );
  process.stdout.write(
    `Inbound-Webhook-Secret (${kept.length} older one(s) still accepted). Shown once, stored only as a hash:\n${secret}\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`set-inbound-secret: ${(error as Error).message}\n`);
  process.exit(1);
});
