import { parseRegistration } from '../../../functions/core/registration';
import type { RegistryKey, WorkflowTarget } from '../../../functions/core/ports';
import {
  type RegistryPartition,
  registryPartitionPrefixes,
  registryPartitionReads,
} from '../../../functions/adapters/aws/registry-items';
import { apiKeyItem, readApiKey } from '../../../functions/core/auth/api-keys';
import {
  clientWebhookItem,
  clientWebhookRegistrations,
  readClientWebhook,
} from '../../../functions/styles/client-webhook/registration';
import {
  eventWorkflowRegistrations,
  readEventSubscribers,
  readEventWorkflow,
} from '../../../functions/styles/events/registration';
import { flowItem, flowRegistrations, readFlow } from '../../../functions/styles/flow-trigger/registration';
import {
  inboundSecretItem,
  inboundSecretKey,
  inboundWorkflowRegistrations,
  readInboundSecretHashes,
  readInboundVerifier,
  readInboundWorkflow,
} from '../../../functions/styles/inbound/registration';
import {
  readWebhookTemplates,
  webhookTemplateRegistrations,
} from '../../../functions/styles/registered-webhooks/registration';
import { InMemoryRegistry } from '../../support/fakes';

/**
 * Each style's registry slice (functions/styles/<style>/registration.ts): the items its codec writes, read back
 * by the reads its handlers make, over the generic registry port (an item by key, a partition). The DynamoDB
 * adapter and this in-memory one only store, so what is pinned here holds for both.
 */
const standard: WorkflowTarget = {
  stateMachineArn: 'arn:aws:states:eu-west-1:1:stateMachine:x',
  workflowType: 'STANDARD',
};
const UUID = '3F1C2A9E-0B7D-4C55-9A51-1B2C3D4E5F60';

describe("each style's registry slice reads back what its codec writes", () => {
  it('a flow, by its id', async () => {
    const registry = new InMemoryRegistry().put(
      ...flowRegistrations.items(parseRegistration(flowRegistrations, { flowId: 'f', workflow: 'w' }), () => standard),
    );

    const flow = await readFlow(registry, 'f');

    expect(flow).toEqual({ flowId: 'f', ...standard, published: true });
    expect(await readFlow(registry, 'g')).toBeUndefined();
  });

  it('a client webhook, by client and name', async () => {
    const input = { client: 'c', name: 'n', workflow: 'w', runAs: 'u' };
    const registry = new InMemoryRegistry().put(
      ...clientWebhookRegistrations.items(parseRegistration(clientWebhookRegistrations, input), () => standard),
    );

    const webhook = await readClientWebhook(registry, 'c', 'n');

    expect(webhook).toEqual({ client: 'c', name: 'n', productive: standard, mode: 'productive', runAs: 'u' });
  });

  it('an inbound workflow, by its name and by its id in either case', async () => {
    const input = { name: 'orders', workflowId: UUID.toLowerCase(), workflow: 'w' };
    const registry = new InMemoryRegistry().put(
      ...inboundWorkflowRegistrations.items(parseRegistration(inboundWorkflowRegistrations, input), () => standard),
    );

    const found = await Promise.all(
      ['orders', UUID, UUID.toLowerCase()].map((ref) => readInboundWorkflow(registry, ref)),
    );

    expect(found).toEqual(Array(3).fill({ name: 'orders', workflowId: UUID.toLowerCase(), ...standard }));
  });

  it('an event workflow by its ref, and as a subscriber of each of its types (one Query per type)', async () => {
    const input = { ref: 'audit', workflow: 'w', eventTypes: ['a', 'b'] };
    const registry = new InMemoryRegistry().put(
      ...eventWorkflowRegistrations.items(parseRegistration(eventWorkflowRegistrations, input), () => standard),
    );

    const byRef = await readEventWorkflow(registry, 'audit');
    const subscribers = await Promise.all(['a', 'b', 'c'].map((type) => readEventSubscribers(registry, type)));

    expect(byRef).toEqual({ ref: 'audit', eventTypes: ['a', 'b'], ...standard });
    expect(subscribers.map((list) => list.map((workflow) => workflow.ref))).toEqual([['audit'], ['audit'], []]);
  });

  it("an organisation's webhook templates, and none of another organisation's", async () => {
    const template = (orgId: string, id: string) =>
      webhookTemplateRegistrations.items(
        parseRegistration(webhookTemplateRegistrations, { orgId, id, workflow: 'w' }),
        () => standard,
      );
    const registry = new InMemoryRegistry().put(
      ...template('o1', 't2'),
      ...template('o1', 't1'),
      ...template('o2', 't3'),
    );

    const templates = await readWebhookTemplates(registry, 'o1');

    expect(templates.map((t) => t.id)).toEqual(['t1', 't2']);
    expect(templates[0]).toEqual({ id: 't1', orgId: 'o1', name: 't1', stateMachineArn: standard.stateMachineArn });
  });

  it('an API key, by its hash', async () => {
    const record = {
      keyId: 'k',
      keyHash: 'a'.repeat(64),
      flows: ['*'],
      orgs: ['o'],
      scopes: ['trigger', 'deliveries'] as const,
      disabled: false,
    };
    const registry = new InMemoryRegistry().put(apiKeyItem(record));

    expect(await readApiKey(registry, record.keyHash)).toEqual(record);
  });
});

describe('a slice fails closed on an item it cannot trust', () => {
  it('refuses an INBOUNDSECRET item that still holds the verifier (the layout before INBOUNDVERIFIER)', async () => {
    // Arrange: the verifying handler reads only INBOUNDVERIFIER, so this verifier would silently stop checking.
    const registry = new InMemoryRegistry().put({
      ...inboundSecretItem(['0'.repeat(64)]),
      verifier: { verifier: { kind: 'github' }, secrets: { current: 'a-secret-of-16-chars' } },
    });

    // Act
    const read = readInboundSecretHashes(registry);

    // Assert
    await expect(read).rejects.toThrow(/still holds the inbound verifier/);
    expect(await readInboundVerifier(registry)).toBeUndefined();
  });

  it('refuses a hand-edited client webhook in mode dev with no dev workflow rather than run nothing', async () => {
    const item = clientWebhookItem({ client: 'c', name: 'n', productive: standard, mode: 'productive', runAs: 'u' });
    const registry = new InMemoryRegistry().put({ ...item, mode: 'dev' });

    await expect(readClientWebhook(registry, 'c', 'n')).rejects.toThrow(
      'registry item CLIENTWEBHOOK#c#n CLIENTWEBHOOK is malformed: mode dev needs a dev workflow',
    );
  });

  it('refuses a flow whose verifier is malformed rather than trigger it unverified', async () => {
    const registry = new InMemoryRegistry().put({
      ...flowItem({ flowId: 'f', ...standard, published: true }),
      verifier: { verifier: { kind: 'no-such-kind' } },
    });

    await expect(readFlow(registry, 'f')).rejects.toThrow('registry item FLOW#f has a malformed verifier');
  });

  it('reads an absent inbound secret as no accepted secret (every request is then refused)', async () => {
    const registry = new InMemoryRegistry();

    expect(await readInboundSecretHashes(registry)).toEqual([]);
    expect(await registry.getItem(inboundSecretKey())).toBeUndefined();
  });
});

describe("each slice's reads are the calls IAM grants for its partitions", () => {
  /** The partition whose prefix `pk` starts with (no prefix is a prefix of another kind's keys). */
  const partitionOf = (pk: string) =>
    (Object.entries(registryPartitionPrefixes) as [RegistryPartition, string][]).find(([, prefix]) =>
      pk.startsWith(prefix),
    )?.[0];

  it('reads each kind only by the action registry-items.ts grants it (GetItem by key, Query by partition)', async () => {
    // Arrange: a registry that records how each read reaches the table.
    const calls: { action: 'GetItem' | 'Query'; partition: RegistryPartition | undefined }[] = [];
    const store = new InMemoryRegistry();
    const registry = {
      getItem: (key: RegistryKey) => {
        calls.push({ action: 'GetItem', partition: partitionOf(key.pk) });
        return store.getItem(key);
      },
      queryPartition: (pk: string) => {
        calls.push({ action: 'Query', partition: partitionOf(pk) });
        return store.queryPartition(pk);
      },
    };

    // Act: every read a handler makes.
    await Promise.all([
      readFlow(registry, 'f'),
      readApiKey(registry, 'a'.repeat(64)),
      readClientWebhook(registry, 'c', 'n'),
      readInboundWorkflow(registry, 'orders'),
      readInboundSecretHashes(registry),
      readInboundVerifier(registry),
      readEventWorkflow(registry, 'audit'),
      readEventSubscribers(registry, 'a'),
      readWebhookTemplates(registry, 'o1'),
    ]);

    // Assert
    expect(calls).toHaveLength(9);
    for (const call of calls) {
      expect(call.partition).toBeDefined();
      expect({ ...call, granted: registryPartitionReads[call.partition!] }).toEqual({ ...call, granted: call.action });
    }
  });
});
