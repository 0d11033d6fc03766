import { join } from 'node:path';
import { sha256Hex } from '../../../functions/core/auth/secrets';
import { CONFIG_SOURCE, desiredItems, ownedByConfig, reconcile } from '../../../local/dynamodb/seed-registry';
import { loadLocalConfig, parseLocalConfig } from '../../../local/local-config';
import { loadWorkflowManifest } from '../../../workflows/manifest';

/**
 * The local config file is declarative (issue 17, item 4): after a start the registry holds what the file says.
 * reconcile is the pure rule (desired items vs the registry's items → puts and deletes); desiredItems refuses a
 * registration whose workflow does not exist before anything is written.
 */
const workflows = new Map([
  ['echo', { arn: 'arn:aws:states:us-east-1:000000000000:stateMachine:echo', type: 'EXPRESS' as const }],
  ['audit', { arn: 'arn:aws:states:us-east-1:000000000000:stateMachine:audit', type: 'STANDARD' as const }],
]);
const file = (content: Record<string, unknown>) => parseLocalConfig(content, 'test.json');
const keysOf = (items: readonly { pk: unknown; sk: unknown }[]) => items.map((i) => `${String(i.pk)} ${String(i.sk)}`);

describe('the local config file', () => {
  it('parses the shipped local/hookflow.local.json, and every workflow it names exists', () => {
    // Arrange
    const config = loadLocalConfig(join(__dirname, '..', '..', '..', 'local', 'hookflow.local.json'));
    const manifest = new Map(
      loadWorkflowManifest(undefined, { Partition: 'aws', DedupeTable: 't', WaitForEventFunction: 'f' }).map((w) => [
        w.name,
        { arn: `arn:aws:states:::stateMachine:${w.name}`, type: w.type },
      ]),
    );

    // Act
    const items = desiredItems(config, manifest);

    // Assert
    expect(items.length).toBeGreaterThan(20);
    expect(keysOf(items.map((d) => d.item))).toContain('FLOW#hello FLOW');
  });

  it('names the file, the list, the registration and the field of a bad entry', () => {
    expect(() =>
      file({ clientWebhooks: [{ client: 'acme', name: 'signup', workflow: 'echo', runAs: 'k', mode: 'dev' }] }),
    ).toThrow(
      'test.json is invalid: clientWebhooks[0] (client webhook acme/signup): devWorkflow: mode dev needs a devWorkflow',
    );
    expect(() => file({ webhookWorkflows: [{ orgId: 'acme', id: 'no spaces', workflow: 'audit' }] })).toThrow(
      /webhookWorkflows\[0\] \(webhook workflow acme\/no spaces\): id: a template id is 1-64/,
    );
  });

  it('refuses a misspelt list or field rather than ignoring it', () => {
    expect(() => file({ flow: [] })).toThrow('test.json is invalid: flow: not a field of the config file');
    expect(() => file({ flows: [{ flowId: 'a', workflow: 'echo', publised: false }] })).toThrow(
      'flows[0] (flow a): publised: not a field of this registration',
    );
  });

  it('refuses, naming it, a registration whose workflow is not in workflows/workflows.json', () => {
    const config = file({ flows: [{ flowId: 'orders', workflow: 'removed-workflow' }] });

    expect(() => desiredItems(config, workflows)).toThrow(
      'flow orders: workflow "removed-workflow" is not a workflow of workflows/workflows.json',
    );
  });

  it('refuses an Express template, as the construct does (one rule)', () => {
    const config = file({ webhookWorkflows: [{ orgId: 'acme', id: 'notify', workflow: 'echo' }] });

    expect(() => desiredItems(config, workflows)).toThrow(/webhook workflow acme\/notify: .*must be a STANDARD/);
  });

  it('refuses two registrations that would be one registry item', () => {
    const config = file({
      inbound: {
        workflows: [
          { name: 'a', workflowId: '3f1c2a9e-0b7d-4c55-9a51-1b2c3d4e5f60', workflow: 'echo' },
          {
            name: '3f1c2a9e-0b7d-4c55-9a51-1b2c3d4e5f60',
            workflowId: '0e4a7a51-5d0f-4a9a-8f4e-2f7c6b1d9e10',
            workflow: 'echo',
          },
        ],
      },
    });

    expect(() => desiredItems(config, workflows)).toThrow(
      /inbound workflow .* and inbound workflow a are the same registry item/,
    );
  });

  it('stores keys and secrets hashed, and marks the file’s API keys as its own', () => {
    const config = file({
      apiKeys: [{ keyId: 'dev', key: 'hf_local_dev_key', flows: ['*'] }],
      inbound: { secrets: ['hf_local_inbound_secret'] },
      clientWebhooks: [{ client: 'c', name: 'n', workflow: 'echo', runAs: 'u', key: 'my-secret-api-key' }],
    });

    const items = desiredItems(config, workflows).map((d) => d.item);

    const text = JSON.stringify(items);
    expect(text).not.toMatch(/hf_local_dev_key|hf_local_inbound_secret|my-secret-api-key/);
    expect(items).toContainEqual(
      expect.objectContaining({ pk: `APIKEY#${sha256Hex('hf_local_dev_key')}`, source: 'local-config' }),
    );
    expect(items).toContainEqual(expect.objectContaining({ keyHash: sha256Hex('my-secret-api-key') }));
  });
});

describe('reconcile', () => {
  const current = [
    { pk: 'FLOW#kept', sk: 'FLOW' },
    { pk: 'FLOW#removed', sk: 'FLOW' },
    { pk: 'CLIENTWEBHOOK#c#gone', sk: 'CLIENTWEBHOOK' },
    { pk: 'INBOUNDWORKFLOW#old', sk: 'INBOUNDWORKFLOW' },
    { pk: 'EVENTWORKFLOW#old', sk: 'EVENTWORKFLOW' },
    { pk: 'EVENTSUB#com.example.old', sk: 'old' },
    { pk: 'WEBHOOKTEMPLATE#acme', sk: 'old' },
    { pk: 'APIKEY#fromfile', sk: 'APIKEY', [CONFIG_SOURCE.attribute]: CONFIG_SOURCE.value },
    { pk: 'APIKEY#createdbyscript', sk: 'APIKEY' },
    { pk: 'WEBHOOK#w1', sk: 'WEBHOOK' },
    { pk: 'WEBHOOK#w1', sk: 'BINDING#old' },
    { pk: 'ORGWEBHOOKS#acme', sk: 'w1' },
  ];

  it('deletes what the file owns and no longer declares, and keeps run-time data', () => {
    // Arrange
    const desired = [{ pk: 'FLOW#kept', sk: 'FLOW', type: 'flow' }];

    // Act
    const { puts, deletes } = reconcile(desired, current);

    // Assert
    expect(puts).toEqual(desired);
    expect(keysOf(deletes)).toEqual([
      'FLOW#removed FLOW',
      'CLIENTWEBHOOK#c#gone CLIENTWEBHOOK',
      'INBOUNDWORKFLOW#old INBOUNDWORKFLOW',
      'EVENTWORKFLOW#old EVENTWORKFLOW',
      'EVENTSUB#com.example.old old',
      'WEBHOOKTEMPLATE#acme old',
      'APIKEY#fromfile APIKEY',
    ]);
  });

  it('deletes nothing when the registry already holds what the file says', () => {
    const desired = current.filter((item) => ownedByConfig(item)).map((item) => ({ pk: item.pk, sk: item.sk }));

    expect(reconcile(desired, current).deletes).toEqual([]);
  });

  it('deletes a subscription of an event type the workflow no longer subscribes to, and keeps the others', () => {
    const desired = [
      { pk: 'EVENTWORKFLOW#r', sk: 'EVENTWORKFLOW' },
      { pk: 'EVENTSUB#b', sk: 'r' },
    ];
    const registry = [...desired, { pk: 'EVENTSUB#a', sk: 'r' }];

    expect(keysOf(reconcile(desired, registry).deletes)).toEqual(['EVENTSUB#a r']);
  });

  it('never owns registered webhooks, their bindings, or unmarked API keys', () => {
    for (const item of current.filter((i) => /^(WEBHOOK#|ORGWEBHOOKS#|APIKEY#createdbyscript)/.test(i.pk))) {
      expect(ownedByConfig(item)).toBe(false);
    }
    expect(ownedByConfig({ pk: 'INBOUNDSECRET', sk: 'INBOUNDSECRET' })).toBe(true);
  });
});
