import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  GetItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoDbProcessStore } from '../../../functions/adapters/aws/dynamodb-process-store';
import { DynamoDbWebhookStore } from '../../../functions/adapters/aws/dynamodb-webhook-store';
import type { ProcessRecord, RegisteredWebhook, WebhookStore } from '../../../functions/core/ports';
import { InMemoryWebhookStore } from '../../support/fakes';
import { backend } from '../../support/dynamodb-backend';
import { startInMemoryDynamoDb } from '../../support/in-memory-dynamodb';

const webhook = (id: string, orgId = 'acme', createdOn = '2026-01-01T00:00:00.000Z'): RegisteredWebhook => ({
  id,
  orgId,
  createdOn,
  updatedOn: createdOn,
  createdById: 'k',
  updatedById: 'k',
  secrets: { current: `secret-of-${id}` },
  verifier: { verifier: { kind: 'contrail' } },
});

describe(`DynamoDbWebhookStore and DynamoDbProcessStore against ${backend}`, () => {
  let db: Awaited<ReturnType<typeof startInMemoryDynamoDb>>;
  let webhooks: DynamoDbWebhookStore;
  let processes: DynamoDbProcessStore;
  beforeAll(async () => {
    db = await startInMemoryDynamoDb();
    webhooks = new DynamoDbWebhookStore(db.client, db.tables.registry);
    processes = new DynamoDbProcessStore(db.client, db.tables.dedupe);
  }, 120_000); // DynamoDB Local's JVM, when a file runs alone on it, takes 5-30 s to start
  afterAll(() => db.close());

  it('stores a webhook with its bindings in one partition, listed per organisation in creation order', async () => {
    await webhooks.create(webhook('w2', 'acme', '2026-01-02T00:00:00.000Z'));
    await webhooks.create(webhook('w1', 'acme', '2026-01-01T00:00:00.000Z'));
    await webhooks.create(webhook('g1', 'globex'));
    await webhooks.bind({
      webhookId: 'w1',
      eventWorkflowTemplateId: 'notify',
      orgId: 'acme',
      createdOn: 'x',
      createdById: 'k',
    });
    await webhooks.bind({
      webhookId: 'w1',
      eventWorkflowTemplateId: 'audit',
      orgId: 'acme',
      createdOn: 'x',
      createdById: 'k',
    });

    const found = await webhooks.get('w1');
    expect(found?.webhook).toEqual(webhook('w1'));
    expect(found?.bindings.map((b) => b.eventWorkflowTemplateId)).toEqual(['audit', 'notify']);
    expect((await webhooks.listByOrg('acme')).map((w) => w.id)).toEqual(['w1', 'w2']);
    expect((await webhooks.listByOrg('globex')).map((w) => w.id)).toEqual(['g1']);
    expect(await webhooks.get('missing')).toBeUndefined();
    await expect(webhooks.create(webhook('w1'))).rejects.toThrow();
  });

  it('rotates secrets only for the owning organisation, and only if the secret it replaces is still current', async () => {
    await webhooks.create(webhook('r1'));
    const secrets = { current: 'new', previous: { value: 'secret-of-r1', expiresAt: '2030-01-01T00:00:00.000Z' } };
    const updated = { updatedOn: '2026-02-01T00:00:00.000Z', updatedById: 'k2' };
    expect(await webhooks.updateSecrets('r1', 'globex', secrets, updated, 'secret-of-r1')).toBe('missing');
    expect(await webhooks.updateSecrets('missing', 'acme', secrets, updated, 'secret-of-r1')).toBe('missing');
    expect(await webhooks.updateSecrets('r1', 'acme', secrets, updated, 'secret-of-r1')).toBe('updated');
    expect((await webhooks.get('r1'))?.webhook).toEqual({ ...webhook('r1'), ...updated, secrets });
    // a second rotation that read the old secret lost the race: nothing changes
    const late = { current: 'late' };
    expect(await webhooks.updateSecrets('r1', 'acme', late, updated, 'secret-of-r1')).toBe('conflict');
    expect((await webhooks.get('r1'))?.webhook.secrets).toEqual(secrets);
  });

  it('keeps a changed setting on the item only when it is not its default: SET writes it, REMOVE takes it off', async () => {
    // Arrange
    await webhooks.create(webhook('s1'));
    const by = { updatedOn: '2026-02-01T00:00:00.000Z', updatedById: 'k2' };
    const stored = async () =>
      (
        await db.client.send(
          new GetItemCommand({ TableName: db.tables.registry, Key: { pk: { S: 'WEBHOOK#s1' }, sk: { S: 'WEBHOOK' } } }),
        )
      ).Item;

    // Act
    await webhooks.updateSettings(
      's1',
      'acme',
      { set: { recordDeliveries: false, whenBusy: 'reject' }, remove: [] },
      by,
    );
    const storedOff = await stored();
    await webhooks.updateSettings('s1', 'acme', { set: {}, remove: ['recordDeliveries', 'whenBusy'] }, by);
    const storedDefaults = await stored();

    // Assert
    expect(storedOff?.recordDeliveries).toEqual({ BOOL: false });
    expect(storedOff?.whenBusy).toEqual({ S: 'reject' });
    expect(storedDefaults?.recordDeliveries).toBeUndefined();
    expect(storedDefaults?.whenBusy).toBeUndefined();
  });
  it('unbinds, and deletes only for the owning organisation, taking bindings and the listing with it', async () => {
    await webhooks.create(webhook('d1'));
    await webhooks.bind({
      webhookId: 'd1',
      eventWorkflowTemplateId: 'notify',
      orgId: 'acme',
      createdOn: 'x',
      createdById: 'k',
    });
    expect(await webhooks.unbind('d1', 'audit')).toBe(false);
    expect(await webhooks.delete('d1', 'globex')).toBe(false);
    expect(await webhooks.get('d1')).toBeDefined();

    expect(await webhooks.delete('d1', 'acme')).toBe(true);
    expect(await webhooks.get('d1')).toBeUndefined();
    expect((await webhooks.listByOrg('acme')).map((w) => w.id)).not.toContain('d1');
    const binding = await db.client.send(
      new GetItemCommand({
        TableName: db.tables.registry,
        Key: { pk: { S: 'WEBHOOK#d1' }, sk: { S: 'BINDING#notify' } },
      }),
    );
    expect(binding.Item).toBeUndefined();
    expect(await webhooks.delete('d1', 'acme')).toBe(false);
  });

  it('skips a listing entry whose webhook is gone (a crash between the two deletes)', async () => {
    await webhooks.create(webhook('ghost'));
    await webhooks.delete('ghost', 'acme');
    await webhooks.create(webhook('ghost-listed'));
    // Put the listing entry back by hand, as if its delete never ran.
    const { PutItemCommand } = await import('@aws-sdk/client-dynamodb');
    await db.client.send(
      new PutItemCommand({
        TableName: db.tables.registry,
        Item: { pk: { S: 'ORGWEBHOOKS#acme' }, sk: { S: 'ghost' } },
      }),
    );
    expect((await webhooks.listByOrg('acme')).map((w) => w.id)).not.toContain('ghost');
  });

  it('creates a process once, returning the stored one to a repeat; keeps any JSON number exactly', async () => {
    const record: ProcessRecord = {
      id: 'p1',
      orgId: 'acme',
      webhookId: 'w1',
      eventWorkflowTemplateId: 'notify',
      stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:n',
      executionArn: 'arn:aws:states:us-east-1:000000000000:execution:n:p1',
      triggerEvent: { id: 12345678901234567890n.toString(), nested: [1, null, 'x'], big: 1e300 },
      fingerprint: 'f1',
      createdOn: new Date().toISOString(),
    };
    expect(await processes.create(record)).toEqual({ created: true, record });
    const repeat = await processes.create({ ...record, fingerprint: 'f2' });
    expect(repeat).toEqual({ created: false, record });
    expect(await processes.get('p1')).toEqual(record);
    expect(await processes.get('nope')).toBeUndefined();
  });
});

/**
 * The webhook store's settings change, one contract for the DynamoDB store (on this run's backend) and the
 * in-memory fake the style tests use: each applies the change it is given, only for the owning organisation.
 */
describe.each([
  ['DynamoDbWebhookStore', 'dynamodb'],
  ['InMemoryWebhookStore', 'memory'],
] as const)('%s.updateSettings', (_name, kind) => {
  let db: Awaited<ReturnType<typeof startInMemoryDynamoDb>> | undefined;
  let webhooks: WebhookStore;
  beforeAll(async () => {
    if (kind === 'memory') {
      webhooks = new InMemoryWebhookStore();
      return;
    }
    db = await startInMemoryDynamoDb();
    webhooks = new DynamoDbWebhookStore(db.client, db.tables.registry);
  }, 120_000);
  afterAll(() => db?.close());
  const by = { updatedOn: '2026-02-01T00:00:00.000Z', updatedById: 'k2' };

  it('sets and removes each setting named, leaves the others as they are, and answers the webhook as it now is', async () => {
    // Arrange
    await webhooks.create(webhook('c1'));

    // Act
    const rejecting = await webhooks.updateSettings('c1', 'acme', { set: { whenBusy: 'reject' }, remove: [] }, by);
    const quiet = await webhooks.updateSettings('c1', 'acme', { set: { recordDeliveries: false }, remove: [] }, by);
    const queueing = await webhooks.updateSettings('c1', 'acme', { set: {}, remove: ['whenBusy'] }, by);
    const both = await webhooks.updateSettings(
      'c1',
      'acme',
      { set: { whenBusy: 'reject' }, remove: ['recordDeliveries'] },
      by,
    );

    // Assert
    expect(rejecting).toEqual({ ...webhook('c1'), ...by, whenBusy: 'reject' });
    expect(quiet).toEqual({ ...webhook('c1'), ...by, whenBusy: 'reject', recordDeliveries: false });
    expect(queueing).toEqual({ ...webhook('c1'), ...by, recordDeliveries: false });
    expect(both).toEqual({ ...webhook('c1'), ...by, whenBusy: 'reject' });
    expect((await webhooks.get('c1'))?.webhook).toEqual(both);
  });

  it('removes a setting the item does not hold without complaint (a PATCH to the default of a webhook at its default)', async () => {
    // Arrange
    await webhooks.create(webhook('c3'));

    // Act
    const answered = await webhooks.updateSettings(
      'c3',
      'acme',
      { set: {}, remove: ['recordDeliveries', 'whenBusy'] },
      by,
    );

    // Assert
    expect(answered).toEqual({ ...webhook('c3'), ...by });
  });

  it("changes nothing of another organisation's webhook, and creates none for a missing id", async () => {
    // Arrange
    await webhooks.create(webhook('c2'));
    const change = { set: { whenBusy: 'reject' as const, recordDeliveries: false as const }, remove: [] };

    // Act
    const foreign = await webhooks.updateSettings('c2', 'globex', change, by);
    const missing = await webhooks.updateSettings('nope', 'acme', change, by);

    // Assert
    expect(foreign).toBeUndefined();
    expect(missing).toBeUndefined();
    expect((await webhooks.get('c2'))?.webhook).toEqual(webhook('c2'));
    expect(await webhooks.get('nope')).toBeUndefined();
  });
});

describe('DynamoDbWebhookStore.updateSettings: the UpdateItem it sends', () => {
  // This client instance only: the blocks above talk to a real DynamoDB backend through theirs.
  const client = new DynamoDBClient({ region: 'us-east-1' });
  const dynamodb = mockClient(client);
  beforeEach(() => dynamodb.reset());
  afterAll(() => dynamodb.restore());

  it('one SET action per setting set and one REMOVE per setting removed, only the values used, on the owner only', async () => {
    // Arrange
    dynamodb.on(UpdateItemCommand).resolves({ Attributes: marshall({ ...webhook('m1'), whenBusy: 'reject' }) });
    const store = new DynamoDbWebhookStore(client, 'registry');
    const by = { updatedOn: '2026-02-01T00:00:00.000Z', updatedById: 'k2' };

    // Act
    const answered = await store.updateSettings(
      'm1',
      'acme',
      { set: { whenBusy: 'reject' }, remove: ['recordDeliveries'] },
      by,
    );
    await store.updateSettings('m1', 'acme', { set: {}, remove: ['whenBusy'] }, by);

    // Assert
    const sent = dynamodb.commandCalls(UpdateItemCommand).map((call) => call.args[0].input);
    expect(answered).toEqual({ ...webhook('m1'), whenBusy: 'reject' });
    expect(sent.map((input) => input.UpdateExpression)).toEqual([
      'SET updatedOn = :on, updatedById = :by, whenBusy = :whenBusy REMOVE recordDeliveries',
      'SET updatedOn = :on, updatedById = :by REMOVE whenBusy',
    ]);
    expect(sent.map((input) => Object.keys(input.ExpressionAttributeValues ?? {}).sort())).toEqual([
      [':by', ':on', ':org', ':whenBusy'],
      [':by', ':on', ':org'],
    ]);
    expect(sent[0]).toMatchObject({ ConditionExpression: 'orgId = :org', ReturnValues: 'ALL_NEW' });
    expect(sent[0]!.ExpressionAttributeValues?.[':whenBusy']).toEqual({ S: 'reject' });
  });

  it("answers undefined when the condition fails (another organisation's webhook, or none)", async () => {
    // Arrange
    dynamodb
      .on(UpdateItemCommand)
      .rejects(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }));
    const store = new DynamoDbWebhookStore(client, 'registry');

    // Act
    const answered = await store.updateSettings(
      'm1',
      'globex',
      { set: { whenBusy: 'reject' }, remove: [] },
      { updatedOn: 'x', updatedById: 'k' },
    );

    // Assert
    expect(answered).toBeUndefined();
  });
});

describe('DynamoDbProcessStore.markQueued: the UpdateItem it sends (the busy path only)', () => {
  const client = new DynamoDBClient({ region: 'us-east-1' });
  const dynamodb = mockClient(client);
  beforeEach(() => dynamodb.reset());
  afterAll(() => dynamodb.restore());

  it('one SET of queuedOn on the process item, only if it exists; false when it does not', async () => {
    // Arrange
    dynamodb
      .on(UpdateItemCommand)
      .resolvesOnce({})
      .rejectsOnce(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }));
    const store = new DynamoDbProcessStore(client, 'dedupe');

    // Act
    const marked = await store.markQueued('p1', '2026-01-01T00:00:09.000Z');
    const gone = await store.markQueued('p2', '2026-01-01T00:00:09.000Z');

    // Assert
    const [sent] = dynamodb.commandCalls(UpdateItemCommand).map((call) => call.args[0].input);
    expect([marked, gone]).toEqual([true, false]);
    expect(sent).toEqual({
      TableName: 'dedupe',
      Key: { pk: { S: 'process#p1' } },
      UpdateExpression: 'SET queuedOn = :queuedOn',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeValues: { ':queuedOn': { S: '2026-01-01T00:00:09.000Z' } },
    });
  });
});
