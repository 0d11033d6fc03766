import { parseRegistration, recordsDeliveries } from '../../../functions/core/registration';
import type { WorkflowTarget } from '../../../functions/core/ports';
import { readClientWebhook, clientWebhookRegistrations } from '../../../functions/styles/client-webhook/registration';
import { eventWorkflowRegistrations, readEventWorkflow } from '../../../functions/styles/events/registration';
import { flowRegistrations, readFlow } from '../../../functions/styles/flow-trigger/registration';
import { inboundWorkflowRegistrations, readInboundWorkflow } from '../../../functions/styles/inbound/registration';
import { InMemoryRegistry } from '../../support/fakes';

/**
 * `recordDeliveries: false` (docs/deliveries.md): one shared field every style's registration takes, written to its
 * registry item only when false, and read back by the style's slice; absent, recording stays on.
 */
const target: WorkflowTarget = {
  stateMachineArn: 'arn:aws:states:eu-west-1:1:stateMachine:x',
  workflowType: 'STANDARD',
};
const resolve = () => target;
const INBOUND_ID = '3f1c2a9e-0b7d-4c55-9a51-1b2c3d4e5f60';

const kinds = [
  {
    kind: flowRegistrations,
    input: { flowId: 'f', workflow: 'w' },
    read: (registry: InMemoryRegistry) => readFlow(registry, 'f'),
  },
  {
    kind: clientWebhookRegistrations,
    input: { client: 'c', name: 'n', workflow: 'w', runAs: 'kevin' },
    read: (registry: InMemoryRegistry) => readClientWebhook(registry, 'c', 'n'),
  },
  {
    kind: inboundWorkflowRegistrations,
    input: { name: 'in', workflowId: INBOUND_ID, workflow: 'w' },
    read: (registry: InMemoryRegistry) => readInboundWorkflow(registry, 'in'),
  },
  {
    kind: eventWorkflowRegistrations,
    input: { ref: 'ev', workflow: 'w' },
    read: (registry: InMemoryRegistry) => readEventWorkflow(registry, 'ev'),
  },
] as const;

describe('recordDeliveries, per registration', () => {
  it.each(kinds.map((k) => [k.kind.kind, k] as const))(
    '%s: false is written and read back; absent is on',
    async (_, k) => {
      for (const recordDeliveries of [false, undefined]) {
        // Arrange
        const registry = new InMemoryRegistry();
        const registration = parseRegistration(k.kind as never, {
          ...k.input,
          ...(recordDeliveries === undefined ? {} : { recordDeliveries }),
        });

        // Act
        const items = (k.kind.items as (r: unknown, resolve: () => WorkflowTarget) => Record<string, unknown>[])(
          registration,
          resolve,
        );
        for (const item of items) registry.put(item as never);
        const read = (await k.read(registry)) as { recordDeliveries?: false } | undefined;

        // Assert
        expect(items.every((item) => recordsDeliveries(item) === (recordDeliveries !== false))).toBe(true);
        expect(read?.recordDeliveries).toBe(recordDeliveries === false ? false : undefined);
      }
    },
  );
});
