import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { PipelineStep } from '../../../functions/routes';
import { handlers } from '../../../functions/routes';
import type { RegistryKey } from '../../../functions/core/ports';
import { executionLinker } from '../../../functions/core/runs/execution-link';
import { makeRunAndWait } from '../../../functions/core/runs/run-and-wait';
import { makeRunStarter } from '../../../functions/core/runs/start-run';
import { makeClientWebhookHandler } from '../../../functions/styles/client-webhook/http';
import {
  makeCallbackHandler,
  makeEventIntakeHandler,
  makeEventWebhookHandler,
} from '../../../functions/styles/events/http';
import { makeFlowTriggerHandler } from '../../../functions/styles/flow-trigger/http';
import { makeInboundHandler, makeRunStatusHandler } from '../../../functions/styles/inbound/http';
import { makeWebhookAdminHandler, makeWebhookTriggerHandler } from '../../../functions/styles/registered-webhooks/http';
import { makeDeliveriesHandler } from '../../../functions/styles/deliveries/http';
import { httpEvent, testContext } from '../../support/api-gateway-events';
import { NOW, recordOf } from '../../support/deliveries-api';
import { InMemoryDeliveryLog } from '../../support/in-memory-delivery-log';
import {
  FakeEngine,
  FakeRegistry,
  FakeWorkQueue,
  InMemoryDedupeStore,
  InMemoryDeliveryLedger,
  InMemoryProcessStore,
  InMemoryWaitStore,
  InMemoryWebhookStore,
  silentLogger,
} from '../../support/fakes';

/**
 * Issue 16: each handler's declared pipeline (functions/styles/<style>/index.ts) is the order it really runs its
 * steps in. Every port a handler gets is wrapped so that each call is traced as the step it belongs to (a read
 * of an API key or the inbound secret: authenticate; of the registration, or of a run reference: resolve; the
 * replay ledger or the
 * inbound verifier: verify; a dedupe or wait claim: claim; a start: start; a send to the queue: enqueue; a
 * SendTaskSuccess: resume). A request that goes all the way must show those steps in the declared order. Steps
 * that call no port (parse, answer, a key compared on the resolved registration) do not show.
 */
type Trace = PipelineStep[];
type Classify = (method: string, args: readonly unknown[]) => PipelineStep | undefined;

/** The port, with each call to a classified method traced first. */
function traced<T extends object>(port: T, trace: Trace, classify: Classify): T {
  return new Proxy(port, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const step = classify(String(property), args);
        if (step !== undefined) trace.push(step);
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

const registryStep: Classify = (method, args) => {
  const pk = method === 'getItem' ? (args[0] as RegistryKey).pk : String(args[0]);
  if (pk.startsWith('APIKEY#') || pk.startsWith('INBOUNDSECRET')) return 'authenticate';
  if (pk.startsWith('INBOUNDVERIFIER')) return 'verify';
  return 'resolve';
};
const engineStep: Classify = (method) =>
  method === 'start' || method === 'startSync' ? 'start' : method === 'resumeTask' ? 'resume' : undefined;
const claimStep: Classify = (method) => (['claim', 'keepEarly'].includes(method) ? 'claim' : undefined);
/** The dedupe store also answers where a run reference led (inbound's run status): resolve. */
const dedupeStep: Classify = (method, args) => (method === 'get' ? 'resolve' : claimStep(method, args));
const verifyStep: Classify = (method) => (method === 'claim' ? 'verify' : undefined);
const enqueueStep: Classify = (method) => (method.startsWith('send') ? 'enqueue' : undefined);
const webhookStep: Classify = (method) => (method === 'get' ? 'resolve' : undefined);
/** A registered webhook's process record, one per bound workflow, is its claim on the start. */
const processStep: Classify = (method) => (method === 'create' ? 'claim' : undefined);

/** Every port a handler may get, traced into `trace`, over fakes holding `registry`. */
function tracedPorts(registry: FakeRegistry, trace: Trace) {
  const engine = traced(new FakeEngine(), trace, engineStep);
  const dedupe = traced(new InMemoryDedupeStore(), trace, dedupeStep);
  const startRun = makeRunStarter(
    { engine, dedupe, logger: silentLogger },
    { dedupeTtlSeconds: 60, dedupeWaitMs: 100, dedupeLeaseMs: 1000 },
  );
  return {
    registry: traced(registry, trace, registryStep),
    engine,
    dedupe,
    startRun,
    runAndWait: makeRunAndWait({ engine, logger: silentLogger }, { syncWaitMs: 1_000 }),
    waits: traced(new InMemoryWaitStore(), trace, claimStep),
    deliveries: traced(new InMemoryDeliveryLedger(), trace, verifyStep),
    queue: traced(new FakeWorkQueue(), trace, enqueueStep),
    webhooks: traced(new InMemoryWebhookStore(), trace, webhookStep),
    processes: traced(new InMemoryProcessStore(), trace, processStep),
    logger: silentLogger,
    executionLink: executionLinker('https://console.example/{executionArn}'),
    maxBodyBytes: 10_000,
    syncWaitMs: 1_000,
    earlyCallbackTtlSeconds: 3600,
    claimLeaseSeconds: 30,
  };
}

/** The steps of `trace`, each once, in the order they first ran. */
const firstRuns = (trace: Trace) => trace.filter((step, i) => trace.indexOf(step) === i);
/** `declared`, keeping only the steps that ran: what the trace must equal. */
const declaredOf = (name: string, ran: Trace) =>
  handlers.find((spec) => spec.name === name)!.pipeline.filter((step) => ran.includes(step));

const SECRET = 'inbound-secret';
const invoke = async (
  handler: (event: APIGatewayProxyEventV2, context: typeof testContext) => Promise<unknown>,
  event: APIGatewayProxyEventV2,
) => ((await handler(event, testContext)) as APIGatewayProxyStructuredResultV2).statusCode;

describe('each handler runs its steps in the order its style declares', () => {
  it.each<[string, (trace: Trace) => Promise<number | undefined>]>([
    [
      'flow-trigger',
      async (trace) => {
        const ports = tracedPorts(
          new FakeRegistry().addFlow({ flowId: 'hello' }).addApiKey('key', { keyId: 'k', flows: ['hello'] }),
          trace,
        );
        return invoke(
          makeFlowTriggerHandler(ports),
          httpEvent({
            path: '/flows/hello/trigger',
            routeKey: 'POST /flows/{flowId}/trigger',
            pathParameters: { flowId: 'hello' },
            headers: { authorization: 'Bearer key', 'idempotency-key': 'one' },
            body: '{}',
          }),
        );
      },
    ],
    [
      'client-webhook',
      async (trace) => {
        const ports = tracedPorts(new FakeRegistry().addClientWebhook({ client: 'c', name: 'n', key: 'k' }), trace);
        return invoke(
          makeClientWebhookHandler(ports),
          httpEvent({
            path: '/webhook/c/n',
            routeKey: 'POST /webhook/{client}/{name}',
            pathParameters: { client: 'c', name: 'n' },
            query: { async: '', key: 'k' },
            headers: { 'idempotency-key': 'one' },
            body: '{}',
          }),
        );
      },
    ],
    [
      'inbound',
      async (trace) => {
        const ports = tracedPorts(
          new FakeRegistry().addInboundSecret(SECRET).addInboundWorkflow('wf', '3f1c2a9e-0b7d-4c55-9a51-1b2c3d4e5f60'),
          trace,
        );
        const handler = makeInboundHandler({
          ...ports,
          maxInputBytes: 10_000,
          limits: { maxBodyBytes: 100_000, maxBatchItems: 10 },
        });
        const single = await invoke(
          handler,
          httpEvent({
            path: '/inbound',
            headers: { 'inbound-webhook-secret': SECRET },
            body: JSON.stringify({ workflow: 'wf', uid: 'u-1' }),
          }),
        );
        const batch = await invoke(
          handler,
          httpEvent({
            path: '/inbound',
            headers: { 'inbound-webhook-secret': SECRET },
            body: JSON.stringify({ workflow: 'wf', batch: [{ uid: 'b-1' }] }),
          }),
        );
        return single === 202 && batch === 202 ? 202 : undefined;
      },
    ],
    [
      'inbound-run-status',
      async (trace) => {
        const ports = tracedPorts(new FakeRegistry().addInboundSecret(SECRET), trace);
        return invoke(
          makeRunStatusHandler(ports),
          httpEvent({
            method: 'GET',
            path: '/inbound/runs/u_dS0x',
            routeKey: 'GET /inbound/runs/{runRef}',
            pathParameters: { runRef: 'u_dS0x' },
            headers: { 'inbound-webhook-secret': SECRET },
          }),
        );
      },
    ],
    [
      'event-webhook',
      async (trace) => {
        const ports = tracedPorts(new FakeRegistry().addEventWorkflow('order-echo', [], 'EXPRESS'), trace);
        return invoke(
          makeEventWebhookHandler(ports),
          httpEvent({
            path: '/api/v2/webhook',
            query: { ref: 'order-echo' },
            headers: { 'idempotency-key': 'one' },
            body: '{}',
          }),
        );
      },
    ],
    [
      'event-intake',
      async (trace) => {
        const ports = tracedPorts(new FakeRegistry().addEventWorkflow('audit', ['com.example.created']), trace);
        // `ref` names the subscribed workflow (started) and a run of it waiting on the event's type (resumed).
        ports.waits.add({ ref: 'audit', topic: 'com.example.created', taskToken: 'token' });
        trace.length = 0;
        return invoke(
          makeEventIntakeHandler(ports),
          httpEvent({
            path: '/api/v2/event',
            query: { ref: 'audit' },
            headers: { 'content-type': 'application/cloudevents+json' },
            body: JSON.stringify({ specversion: '1.0', id: 'e-1', source: 'test', type: 'com.example.created' }),
          }),
        );
      },
    ],
    [
      'event-callback',
      async (trace) => {
        const ports = tracedPorts(new FakeRegistry(), trace);
        ports.waits.add({ ref: 'run-1', topic: 'approval', taskToken: 'token' });
        trace.length = 0;
        return invoke(
          makeCallbackHandler(ports),
          httpEvent({ path: '/api/v2/callback', query: { ref: 'run-1', topic: 'approval' }, body: '{"ok":true}' }),
        );
      },
    ],
    [
      'webhook-trigger',
      async (trace) => {
        const ports = tracedPorts(
          new FakeRegistry().addApiKey('admin', { keyId: 'a', orgs: ['acme'] }).addWebhookTemplate('acme', 'notify'),
          trace,
        );
        const admin = makeWebhookAdminHandler(ports);
        const headers = { 'x-api-key': 'admin', 'x-api-org': 'acme' };
        const created = (await admin(
          httpEvent({
            path: '/api/webhooks',
            routeKey: 'POST /api/webhooks',
            headers,
            body: '{"verifySecret":"s3cret-key-12345"}',
          }),
          testContext,
        )) as APIGatewayProxyStructuredResultV2;
        const { id } = JSON.parse(created.body!) as { id: string };
        await admin(
          httpEvent({
            method: 'PUT',
            path: `/api/webhooks/${id}/workflows/notify`,
            routeKey: 'PUT /api/webhooks/{webhookId}/workflows/{templateId}',
            pathParameters: { webhookId: id, templateId: 'notify' },
            headers,
          }),
          testContext,
        );
        trace.length = 0;
        return invoke(
          makeWebhookTriggerHandler(ports),
          httpEvent({
            path: `/api/trigger-webhooks/${id}`,
            routeKey: 'POST /api/trigger-webhooks/{webhookId}',
            pathParameters: { webhookId: id },
            headers: { 'x-verify-signature': 's3cret-key-12345', 'idempotency-key': 'one' },
            body: '{}',
          }),
        );
      },
    ],
    [
      'deliveries-api',
      async (trace) => {
        // A replay: the key (authenticate), the delivery and its flow (resolve), the replay claim, the start.
        const ports = tracedPorts(
          new FakeRegistry().addFlow({ flowId: 'hello' }).addApiKey('key', { keyId: 'k', scopes: ['deliveries'] }),
          trace,
        );
        const log = new InMemoryDeliveryLog(() => NOW);
        const failed = recordOf();
        await log.put(failed);
        return invoke(
          makeDeliveriesHandler({
            ...ports,
            log: traced(log, trace, (method) => (method === 'get' || method === 'list' ? 'resolve' : undefined)),
            startReplay: ports.startRun,
            now: () => NOW,
            retentionDays: 7,
          }),
          httpEvent({
            path: `/api/deliveries/${failed.id}/replay`,
            routeKey: 'POST /api/deliveries/{id}/replay',
            pathParameters: { id: failed.id },
            headers: { authorization: 'Bearer key' },
            body: '{}',
          }),
        );
      },
    ],
  ])('%s', async (name, send) => {
    // Arrange
    const trace: Trace = [];

    // Act
    const status = await send(trace);

    // Assert: the request went through, and every step it ran came in the declared order.
    expect(status).toBeLessThan(300);
    const ran = firstRuns(trace);
    expect(ran.length).toBeGreaterThan(1);
    expect(ran).toEqual(declaredOf(name, ran));
  });
});
