import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { DefinitionBody, StateMachine, StateMachineType } from 'aws-cdk-lib/aws-stepfunctions';
import { join } from 'node:path';
import { flowRegistrations } from '../../functions/styles/flow-trigger/registration';
import { Hookflow } from '../../lib/hookflow';
import { HookflowStack } from '../../lib/hookflow-stack';
import { loadLocalConfig } from '../../local/local-config';

/**
 * Issue 17, items 3 and 4: registrations as code, checked at synth with the schema the local stack checks its
 * config with; the construct and the reference stack register nothing unless asked; keys never reach a template.
 */
const newApp = () => new App({ context: { 'aws:cdk:bundling-stacks': [] } });
const env = { account: '123456789012', region: 'eu-west-1' };
const definitionBody = DefinitionBody.fromString('{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}');
const registryWrites = (stack: Stack) => Object.keys(Template.fromStack(stack).findResources('Custom::AWS')).length;

describe('registrations as code', () => {
  const setup = () => {
    const stack = new Stack(newApp(), 'Own', { env });
    const hookflow = new Hookflow(stack, 'Hookflow');
    const standard = new StateMachine(stack, 'Standard', { definitionBody });
    const express = new StateMachine(stack, 'Express', { stateMachineType: StateMachineType.EXPRESS, definitionBody });
    return { stack, hookflow, standard, express };
  };

  it('fails synth on a bad registration, naming it and the field', () => {
    const { hookflow, standard, express } = setup();

    expect(() => hookflow.addWebhookWorkflow({ orgId: 'acme', id: 'has space', stateMachine: standard })).toThrow(
      'webhook workflow acme/has space: id: a template id is 1-64 letters, digits, "_" or "-"',
    );
    expect(() =>
      hookflow.addClientWebhook({ client: 'acme', name: 'signup', workflow: express, runAs: 'k', mode: 'dev' }),
    ).toThrow('client webhook acme/signup: devWorkflow: mode dev needs a devWorkflow');
    expect(() =>
      hookflow.addInboundWorkflow({ name: 'orders', workflowId: 'not-a-uuid', stateMachine: express }),
    ).toThrow(/^inbound workflow orders: workflowId: /);
  });

  it('refuses a key handed to the construct by a JavaScript caller (no type check there)', () => {
    const { hookflow, express } = setup();
    const webhook = { client: 'acme', name: 'orders', workflow: express, runAs: 'u', key: 'my-secret-api-key' };

    expect(() => hookflow.addClientWebhook(webhook)).toThrow(
      'client webhook acme/orders: key: not a field of this registration',
    );
  });

  it('registers data in the config file’s shape with the same schema (addRegistration)', () => {
    const { stack, hookflow, express } = setup();

    hookflow.addRegistration(flowRegistrations, { flowId: 'orders', workflow: 'orders-sm' }, () => express);

    const creates = Object.values(Template.fromStack(stack).findResources('Custom::AWS')).map((r) =>
      JSON.stringify(r.Properties.Create),
    );
    expect(creates).toEqual([expect.stringContaining('FLOW#orders')]);
  });

  it("writes a flow's whenBusy only when it queues (default reject), and refuses any other value at synth", () => {
    // Arrange
    const { stack, hookflow, express } = setup();

    // Act
    hookflow.bindFlow('orders', express, { whenBusy: 'queue' });
    hookflow.bindFlow('refunds', express, { whenBusy: 'reject' });
    const creates = Object.values(Template.fromStack(stack).findResources('Custom::AWS')).map((r) =>
      JSON.stringify(r.Properties.Create),
    );

    // Assert
    expect(creates.filter((c) => c.includes('FLOW#orders'))).toEqual([expect.stringContaining('whenBusy')]);
    expect(creates.filter((c) => c.includes('FLOW#refunds'))).toEqual([expect.not.stringContaining('whenBusy')]);
    expect(() => hookflow.bindFlow('later', express, { whenBusy: 'later' as never })).toThrow(
      /^flow later: whenBusy: /,
    );
  });

  it('registers nothing by itself', () => {
    const { stack } = setup();

    expect(registryWrites(stack)).toBe(0);
  });
});

describe('the reference stack', () => {
  it('registers nothing and deploys no example workflow unless the demo is asked for', () => {
    const stack = new HookflowStack(newApp(), 'Hookflow', { env });

    expect(registryWrites(stack)).toBe(0);
    expect(Object.keys(Template.fromStack(stack).findResources('AWS::StepFunctions::StateMachine'))).toEqual([]);
    expect(Object.keys(Template.fromStack(stack).findOutputs('*'))).toContain('ApiUrl');
  });

  it('refuses a registrations file without the demo rather than ignore it', () => {
    expect(() => new HookflowStack(newApp(), 'Hookflow', { env, registrations: 'local/hookflow.local.json' })).toThrow(
      /set demo: true/,
    );
  });

  it('puts none of the local config’s keys and secrets into the demo’s template', () => {
    // Arrange: every key and secret the file holds for the laptop.
    const config = loadLocalConfig(join(__dirname, '..', '..', 'local', 'hookflow.local.json'));
    const secrets = [
      ...config.apiKeys.map((k) => k.key),
      ...config.inboundSecrets,
      ...config.registrations.flatMap(({ kind, registrations }) =>
        registrations.flatMap((r) =>
          kind.secretFields.map((f) => (r as Record<string, unknown>)[f]).filter((v) => v !== undefined),
        ),
      ),
    ].flatMap((value) => (typeof value === 'string' ? [value] : [(value as { secret: string }).secret]));

    // Act
    const template = JSON.stringify(
      Template.fromStack(new HookflowStack(newApp(), 'Hookflow', { env, demo: true })).toJSON(),
    );

    // Assert
    expect(secrets.length).toBeGreaterThan(8);
    expect(secrets.filter((secret) => template.includes(secret))).toEqual([]);
    expect(template).not.toMatch(/keyHash|secretHashes|local-config/);
  });
});
