import { RegistrationError, parseRegistration } from '../../../functions/core/registration';
import type { WorkflowTarget } from '../../../functions/core/ports';
import {
  clientWebhookRecordSchema,
  clientWebhookRegistrations,
} from '../../../functions/styles/client-webhook/registration';
import { eventWorkflowRegistrations } from '../../../functions/styles/events/registration';
import { flowRegistrations } from '../../../functions/styles/flow-trigger/registration';
import { inboundWorkflowRegistrations } from '../../../functions/styles/inbound/registration';
import { webhookTemplateRegistrations } from '../../../functions/styles/registered-webhooks/registration';
import { type AnyRegistrationKind, registrationStyles } from '../../../functions/styles/registrations';

/**
 * The one schema and codec per style (functions/styles/<style>/registration.ts): the construct validates with the
 * schema at synth, the local stack with the local schema at start, and both write items through the codec. Each
 * rule that used to be written in both lib/ and local/ is pinned here once.
 */
const express: WorkflowTarget = {
  stateMachineArn: 'arn:aws:states:eu-west-1:1:stateMachine:x',
  workflowType: 'EXPRESS',
};
const standard: WorkflowTarget = { ...express, workflowType: 'STANDARD' };

describe('registration schemas', () => {
  it('refuses mode dev without a devWorkflow, naming the webhook and the field', () => {
    // Arrange
    const input = { client: 'acme', name: 'signup', workflow: 'w', runAs: 'kevin', mode: 'dev' };

    // Act
    const act = () => parseRegistration(clientWebhookRegistrations, input);

    // Assert
    expect(act).toThrow(RegistrationError);
    expect(act).toThrow('client webhook acme/signup: devWorkflow: mode dev needs a devWorkflow');
  });

  it.each(['has space', 'a/b', '', 'x'.repeat(65)])('refuses the template id %j', (id) => {
    expect(() => parseRegistration(webhookTemplateRegistrations, { orgId: 'acme', id, workflow: 'w' })).toThrow(
      /^webhook workflow acme\/.*: id: a template id is 1-64 letters, digits, "_" or "-"$/,
    );
  });

  it('accepts a template id of 64 letters, digits, "_" and "-"', () => {
    const id = `${'a'.repeat(30)}_-${'9'.repeat(32)}`;

    expect(parseRegistration(webhookTemplateRegistrations, { orgId: 'acme', id, workflow: 'w' }).id).toBe(id);
  });

  it('refuses a secret passed where the construct takes registrations: keys never go into a template', () => {
    expect(() =>
      parseRegistration(clientWebhookRegistrations, {
        client: 'acme',
        name: 'orders',
        workflow: 'w',
        runAs: 'u',
        key: 'my-secret-api-key',
      }),
    ).toThrow('client webhook acme/orders: key: not a field of this registration');
    expect(() =>
      parseRegistration(flowRegistrations, { flowId: 'orders', workflow: 'w', verifier: { secret: 'x' } }),
    ).toThrow('flow orders: verifier: not a field of this registration');
  });

  it('names a wrong type as wrong, not as missing', () => {
    expect(() => parseRegistration(flowRegistrations, { flowId: 'orders', workflow: 'w', published: 'yes' })).toThrow(
      /^flow orders: published: .*boolean/,
    );
  });

  it.each([
    [flowRegistrations, { flowId: 'a/b', workflow: 'w' }, /flowId/],
    [inboundWorkflowRegistrations, { name: 'n', workflowId: 'not-a-uuid', workflow: 'w' }, /workflowId/],
    [eventWorkflowRegistrations, { ref: '', workflow: 'w' }, /ref/],
    [clientWebhookRegistrations, { client: 'c', name: 'n', workflow: 'w' }, /runAs/],
  ] as [AnyRegistrationKind, unknown, RegExp][])('%#: refuses a bad field, naming it', (kind, input, fieldName) => {
    expect(() => parseRegistration(kind, input)).toThrow(fieldName);
  });
});

describe('registry codecs', () => {
  it('refuses an Express webhook template once the workflow is resolved: process records read its history', () => {
    // Arrange
    const template = parseRegistration(webhookTemplateRegistrations, { orgId: 'acme', id: 'notify', workflow: 'w' });

    // Act
    const act = () => webhookTemplateRegistrations.items(template, () => express);

    // Assert
    expect(act).toThrow('webhook workflow acme/notify: workflow: w must be a STANDARD state machine');
  });

  it('writes a template named after its id when it has no name', () => {
    const template = parseRegistration(webhookTemplateRegistrations, { orgId: 'acme', id: 'notify', workflow: 'w' });

    expect(webhookTemplateRegistrations.items(template, () => standard)).toEqual([
      {
        pk: 'WEBHOOKTEMPLATE#acme',
        sk: 'notify',
        type: 'webhookTemplate',
        id: 'notify',
        orgId: 'acme',
        name: 'notify',
        stateMachineArn: standard.stateMachineArn,
      },
    ]);
  });

  it('resolves each workflow field of a client webhook by its field name', () => {
    // Arrange
    const webhook = parseRegistration(clientWebhookRegistrations, {
      client: 'acme',
      name: 'signup',
      workflow: 'prod',
      devWorkflow: 'dev',
      runAs: 'kevin',
    });
    const asked: string[] = [];

    // Act
    const [item] = clientWebhookRegistrations.items(webhook, (name, field) => {
      asked.push(`${field}=${name}`);
      return name === 'dev' ? standard : express;
    });

    // Assert
    expect(asked).toEqual(['workflow=prod', 'devWorkflow=dev']);
    expect(item).toMatchObject({ productive: express, dev: standard, mode: 'productive', runAs: 'kevin' });
    expect(item).not.toHaveProperty('keyHash');
  });

  it('reads back what it writes, and holds the dev rule on read too (a hand-edited item in mode dev with no dev workflow)', () => {
    // Arrange
    const webhook = parseRegistration(clientWebhookRegistrations, {
      client: 'c',
      name: 'n',
      workflow: 'w',
      runAs: 'u',
    });
    const [item] = clientWebhookRegistrations.items(webhook, () => express);

    // Act
    const readBack = clientWebhookRecordSchema.safeParse(item);
    const edited = clientWebhookRecordSchema.safeParse({ ...item, mode: 'dev' });

    // Assert
    expect(readBack.data).toMatchObject({ client: 'c', name: 'n', productive: express, mode: 'productive' });
    expect(edited.error?.issues.map((issue) => issue.message)).toEqual(['mode dev needs a dev workflow']);
  });

  it('keeps every item of a kind under the prefixes it declares (what a declarative config owns)', () => {
    const samples: Record<string, unknown> = {
      flow: { flowId: 'f', workflow: 'w' },
      'client webhook': { client: 'c', name: 'n', workflow: 'w', runAs: 'u' },
      'inbound workflow': { name: 'n', workflowId: '3f1c2a9e-0b7d-4c55-9a51-1b2c3d4e5f60', workflow: 'w' },
      'event workflow': { ref: 'r', workflow: 'w', eventTypes: ['a', 'b'] },
      'webhook workflow': { orgId: 'o', id: 'i', workflow: 'w' },
    };
    for (const kind of registrationStyles) {
      const items = kind.items(parseRegistration(kind, samples[kind.kind]), () => standard);
      expect(items.length).toBeGreaterThan(0);
      for (const item of items) expect(kind.prefixes.some((prefix) => item.pk.startsWith(prefix))).toBe(true);
    }
  });
});
