import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { PipelineStep } from '../../../functions/routes';
import { handlers, styles } from '../../../functions/routes';
import { executionLinker } from '../../../functions/core/runs/execution-link';
import { makeRunStarter } from '../../../functions/core/runs/start-run';
import { makeFlowTriggerHandler } from '../../../functions/styles/flow-trigger/http';
import { makeWebhookTriggerHandler } from '../../../functions/styles/registered-webhooks/http';
import { httpEvent, testContext } from '../../support/api-gateway-events';
import {
  FakeEngine,
  FakeRegistry,
  InMemoryDedupeStore,
  InMemoryDeliveryLedger,
  InMemoryProcessStore,
  InMemoryWebhookStore,
  silentLogger,
} from '../../support/fakes';

const pipelineOf = (name: string): readonly PipelineStep[] => handlers.find((spec) => spec.name === name)!.pipeline;

/** Of two steps that would both refuse a request, the one the declared pipeline runs first answers. */
const firstOf = (pipeline: readonly PipelineStep[], a: PipelineStep, b: PipelineStep) =>
  pipeline.indexOf(a) < pipeline.indexOf(b) ? a : b;

describe('each style declares its pipeline', () => {
  it('every handler of every style names each step once, from the known steps', () => {
    const known = new Set<PipelineStep>([
      'parse',
      'authenticate',
      'resolve',
      'verify',
      'claim',
      'start',
      'enqueue',
      'resume',
      'answer',
    ]);

    for (const spec of styles.flatMap((style) => style.handlers)) {
      expect({ handler: spec.name, unknown: spec.pipeline.filter((step) => !known.has(step)) }).toEqual({
        handler: spec.name,
        unknown: [],
      });
      expect(new Set(spec.pipeline).size).toBe(spec.pipeline.length);
    }
  });

  it('pins the deliberate orders: the key scope before the flow lookup (seed 1), the webhook before its signature (seed 5)', () => {
    expect(firstOf(pipelineOf('flow-trigger'), 'authenticate', 'resolve')).toBe('authenticate');
    expect(firstOf(pipelineOf('webhook-trigger'), 'resolve', 'verify')).toBe('resolve');
    expect(firstOf(pipelineOf('client-webhook'), 'resolve', 'authenticate')).toBe('resolve');
  });
});

describe('the handlers run their declared order', () => {
  it('flow trigger: a key scoped to another flow, on a flow that does not exist, is refused by its scope (403)', async () => {
    // Arrange
    const registry = new FakeRegistry().addFlow({ flowId: 'hello' }).addApiKey('hello-only', {
      keyId: 'hello-only',
      flows: ['hello'],
    });
    const engine = new FakeEngine();
    const handler = makeFlowTriggerHandler({
      registry,
      startRun: makeRunStarter(
        { engine, dedupe: new InMemoryDedupeStore(), logger: silentLogger },
        { dedupeTtlSeconds: 60, dedupeWaitMs: 100, dedupeLeaseMs: 1000 },
      ),
      logger: silentLogger,
      maxBodyBytes: 1024,
      executionLink: executionLinker('https://console.example/{executionArn}'),
    });
    const answers: Record<string, number> = { authenticate: 403, resolve: 404 };

    // Act
    const result = (await handler(
      httpEvent({
        path: '/flows/missing/trigger',
        routeKey: 'POST /flows/{flowId}/trigger',
        pathParameters: { flowId: 'missing' },
        headers: { authorization: 'Bearer hello-only' },
        body: '{}',
      }),
      testContext,
    )) as APIGatewayProxyStructuredResultV2;

    // Assert
    expect(result.statusCode).toBe(answers[firstOf(pipelineOf('flow-trigger'), 'authenticate', 'resolve')]);
    expect(result.statusCode).toBe(403);
    expect(engine.started).toHaveLength(0);
  });

  it('registered webhooks: an unknown webhook with a bad signature is not found (404), its signature never read', async () => {
    // Arrange
    const engine = new FakeEngine();
    const handler = makeWebhookTriggerHandler({
      registry: new FakeRegistry(),
      webhooks: new InMemoryWebhookStore(),
      processes: new InMemoryProcessStore(),
      deliveries: new InMemoryDeliveryLedger(),
      engine,
      logger: silentLogger,
      maxBodyBytes: 10_000,
      executionLink: executionLinker('https://console.example/{executionArn}'),
    });
    const answers: Record<string, number> = { resolve: 404, verify: 401 };

    // Act
    const result = (await handler(
      httpEvent({
        path: '/api/trigger-webhooks/nope',
        routeKey: 'POST /api/trigger-webhooks/{webhookId}',
        pathParameters: { webhookId: 'nope' },
        headers: { 'x-verify-signature': 'wrong' },
        body: '{}',
      }),
      testContext,
    )) as APIGatewayProxyStructuredResultV2;

    // Assert
    expect(result.statusCode).toBe(answers[firstOf(pipelineOf('webhook-trigger'), 'resolve', 'verify')]);
    expect(result.statusCode).toBe(404);
    expect(engine.started).toHaveLength(0);
  });
});
