/**
 * Creates an API key for the flow-trigger route (`--flows`) and/or the registered-webhooks admin API of some
 * organisations (`--orgs`, named by X-Api-Org): generates a random key, stores only its SHA-256 in the
 * registry table, and prints the key once. Works against AWS (your credentials, `--table` from the stack's
 * RegistryTableName output) or the local stack (`AWS_ENDPOINT_URL_DYNAMODB`).
 *
 *   npx tsx scripts/create-api-key.ts --table <RegistryTableName> --key-id ci-bot --flows hello,orders
 *   npx tsx scripts/create-api-key.ts --table <RegistryTableName> --key-id acme-admin --flows '' --orgs acme
 *   npx tsx scripts/create-api-key.ts --table <RegistryTableName> --key-id support --flows orders --scopes deliveries
 *
 * `--scopes` (default `trigger`): `trigger` lets the key trigger its flows, `deliveries` lets it list, read and
 * replay the deliveries of its flows and orgs (docs/deliveries.md); `--flows '*' --orgs '*'` reaches every delivery.
 */
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { apiKeyItem } from '../functions/adapters/aws/registry-items';
import { API_KEY_SCOPES, type ApiKeyScope } from '../functions/core/auth/api-keys';
import { sha256Hex } from '../functions/core/auth/secrets';

const { values } = parseArgs({
  options: {
    table: { type: 'string' },
    'key-id': { type: 'string' },
    flows: { type: 'string', default: '*' },
    orgs: { type: 'string', default: '' },
    scopes: { type: 'string', default: 'trigger' },
  },
});

async function main(): Promise<void> {
  if (values.table === undefined || values['key-id'] === undefined) {
    throw new Error(
      'usage: create-api-key --table <registry table> --key-id <name> [--flows a,b | *] [--orgs x,y | *] [--scopes trigger,deliveries]',
    );
  }
  const key = `hf_${randomBytes(24).toString('base64url')}`;
  const list = (text: string) =>
    text
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item !== '');
  const flows = list(values.flows!);
  const orgs = list(values.orgs!);
  const scopes = list(values.scopes!);
  const unknown = scopes.filter((scope) => !(API_KEY_SCOPES as readonly string[]).includes(scope));
  if (scopes.length === 0 || unknown.length > 0) {
    throw new Error(`--scopes: give one or more of ${API_KEY_SCOPES.join(', ')} (got "${values.scopes}")`);
  }
  const client = new DynamoDBClient({});
  await client.send(
    new PutItemCommand({
      TableName: values.table,
      Item: marshall(
        apiKeyItem({
          keyId: values['key-id'],
          keyHash: sha256Hex(key),
          flows,
          orgs,
          scopes: scopes as ApiKeyScope[],
          disabled: false,
        }),
      ),
      // Never overwrite an existing item (a hash collision would mean a reused key).
      ConditionExpression: 'attribute_not_exists(pk)',
    }),
  );
  process.stdout.write(
    `API key "${values['key-id']}" (flows: ${flows.join(', ') || 'none'}; orgs: ${orgs.join(', ') || 'none'}; ` +
      `scopes: ${scopes.join(', ')}). ` +
      `Shown once, stored only as a hash:\n${key}\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`create-api-key: ${(error as Error).message}\n`);
  process.exit(1);
});
