import { DeleteItemCommand, type DynamoDBClient, PutItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { apiKeyItem, apiKeyKey, inboundSecretItem } from '../../functions/adapters/aws/registry-items';
import { sha256Hex } from '../../functions/core/auth/secrets';
import type { RegistryItem } from '../../functions/core/registration';
import { registrationStyles } from '../../functions/styles/registrations';
import type { LocalConfig } from '../local-config';

export interface SeedTarget {
  readonly registryTable: string;
  /** State machine ARN and type by workflow name. */
  readonly workflows: ReadonlyMap<string, { arn: string; type: 'EXPRESS' | 'STANDARD' }>;
}

/**
 * Marks an API key the config file wrote. Keys created at run time (scripts/create-api-key.ts against the local
 * stack) carry no mark: they are an operator's, not the file's, and a restart keeps them.
 */
export const CONFIG_SOURCE = { attribute: 'source', value: 'local-config' } as const;

/** A registry item the file wants, and the registration it comes from (for messages). */
export interface DesiredItem {
  readonly item: RegistryItem;
  readonly owner: string;
}

export type ItemKey = { readonly pk: string; readonly sk: string };

/**
 * Every registry item the config file declares: each registration through its style's codec, its workflows
 * resolved from workflows/workflows.json; the API keys and inbound secrets hashed, as in AWS. Throws before
 * anything is written, naming the registration, if a workflow does not exist or two registrations claim one item.
 */
export function desiredItems(config: LocalConfig, workflows: SeedTarget['workflows']): DesiredItem[] {
  const desired: DesiredItem[] = [];
  for (const { kind, registrations } of config.registrations) {
    for (const registration of registrations) {
      const owner = kind.label(registration);
      const items = kind.items(registration, (name, field) => {
        const workflow = workflows.get(name);
        if (workflow === undefined) {
          throw new Error(`${owner}: ${field} "${name}" is not a workflow of workflows/workflows.json`);
        }
        // Every Express workflow of workflows/workflows.json starts with the run guard (workflows/manifest.ts).
        return {
          stateMachineArn: workflow.arn,
          workflowType: workflow.type,
          ...(workflow.type === 'EXPRESS' ? { runGuarded: true as const } : {}),
        };
      });
      desired.push(...items.map((item) => ({ item, owner })));
    }
  }
  for (const apiKey of config.apiKeys) {
    const item = apiKeyItem({
      keyId: apiKey.keyId,
      keyHash: sha256Hex(apiKey.key),
      flows: apiKey.flows,
      orgs: apiKey.orgs,
      scopes: apiKey.scopes,
      disabled: apiKey.disabled,
    });
    desired.push({
      item: { ...item, [CONFIG_SOURCE.attribute]: CONFIG_SOURCE.value },
      owner: `API key ${apiKey.keyId}`,
    });
  }
  desired.push({
    item: inboundSecretItem(config.inboundSecrets.map((secret) => sha256Hex(secret))),
    owner: 'inbound secrets',
  });
  const owners = new Map<string, string>();
  for (const { item, owner } of desired) {
    const key = `${item.pk} ${item.sk}`;
    const other = owners.get(key);
    if (other !== undefined) throw new Error(`${owner} and ${other} are the same registry item (${key})`);
    owners.set(key, owner);
  }
  return desired;
}

/**
 * Whether an item of the registry is the config file's to keep or remove: every item of a registration kind
 * (only the file registers anything locally), the inbound secrets, and the API keys it marked. Registered
 * webhooks (seed 5, created through the admin API) and run-time API keys are user data: never the file's.
 */
export function ownedByConfig(item: Record<string, unknown>): boolean {
  const pk = String(item.pk);
  if (registrationStyles.some((kind) => kind.prefixes.some((prefix) => pk.startsWith(prefix)))) return true;
  if (pk === inboundSecretItem([]).pk) return true;
  return pk.startsWith(apiKeyKey('').pk) && item[CONFIG_SOURCE.attribute] === CONFIG_SOURCE.value;
}

/**
 * Declarative seeding: after it, the file's part of the registry is exactly what the file says. Every desired
 * item is written whole (a changed registration replaces its item); every item the file owns but no longer
 * declares is deleted.
 */
export function reconcile(
  desired: readonly RegistryItem[],
  current: readonly Record<string, unknown>[],
): { puts: RegistryItem[]; deletes: ItemKey[] } {
  const wanted = new Set(desired.map((item) => `${item.pk} ${item.sk}`));
  return {
    puts: [...desired],
    deletes: current
      .filter((item) => ownedByConfig(item) && !wanted.has(`${String(item.pk)} ${String(item.sk)}`))
      .map((item) => ({ pk: String(item.pk), sk: String(item.sk) })),
  };
}

/** Makes the registry hold what the config file declares (see reconcile), and says what changed. */
export async function seedRegistry(
  client: DynamoDBClient,
  config: LocalConfig,
  target: SeedTarget,
): Promise<{ registrations: Record<string, number>; apiKeys: number; removed: ItemKey[] }> {
  const desired = desiredItems(config, target.workflows).map(({ item }) => item);
  const { puts, deletes } = reconcile(desired, await scanOwnershipAttributes(client, target.registryTable));
  await Promise.all(
    puts.map((item) => client.send(new PutItemCommand({ TableName: target.registryTable, Item: marshall(item) }))),
  );
  await Promise.all(
    deletes.map((key) => client.send(new DeleteItemCommand({ TableName: target.registryTable, Key: marshall(key) }))),
  );
  return {
    registrations: Object.fromEntries(
      config.registrations.map(({ kind, registrations }) => [kind.kind, registrations.length]),
    ),
    apiKeys: config.apiKeys.length,
    removed: deletes,
  };
}

/** The key and mark of every registry item (a Scan: the local registry is small, and this runs once at start). */
async function scanOwnershipAttributes(client: DynamoDBClient, table: string): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await client.send(
      new ScanCommand({
        TableName: table,
        ProjectionExpression: 'pk, sk, #source',
        ExpressionAttributeNames: { '#source': CONFIG_SOURCE.attribute },
        ...(start === undefined ? {} : { ExclusiveStartKey: marshall(start) }),
      }),
    );
    items.push(...(page.Items ?? []).map((item) => unmarshall(item)));
    start = page.LastEvaluatedKey === undefined ? undefined : unmarshall(page.LastEvaluatedKey);
  } while (start !== undefined);
  return items;
}
