/** The deliveries API on fakes (the in-memory log, registry, dedupe store and engine), for its unit and CLI tests. */
import { createHash } from 'node:crypto';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { ulid } from 'ulid';
import { type DeliveryRecord, REDACTED } from '../../functions/core/deliveries/record';
import type { BodyStore } from '../../functions/core/deliveries/log';
import type { ClaimCheck } from '../../functions/core/runs/claim-check';
import { executionLinker } from '../../functions/core/runs/execution-link';
import { makeRunStarter } from '../../functions/core/runs/start-run';
import { makeDeliveriesHandler } from '../../functions/styles/deliveries/http';
import { httpEvent, testContext } from './api-gateway-events';
import { FakeEngine, FakeRegistry, InMemoryDedupeStore, InMemoryWebhookStore, silentLogger } from './fakes';
import { InMemoryDeliveryLog } from './in-memory-delivery-log';

export const NOW = Date.parse('2026-12-05T11:00:00.000Z');
export const ALL = 'hf_test_all_deliveries';
export const HELLO = 'hf_test_hello_deliveries';
export const ACME = 'hf_test_acme_deliveries';
export const TRIGGER_ONLY = 'hf_test_trigger_only';
export const SM = (name: string) => `arn:aws:states:us-east-1:000000000000:stateMachine:${name}`;

/** A delivery id received at `ms` (the non-monotonic ulid: tests make ids out of time order). */
export const idAt = (ms: number) => `dlv_${ulid(ms)}`;

export function recordOf(overrides: Partial<DeliveryRecord> & { at?: number; text?: string } = {}): DeliveryRecord {
  const { at = NOW - 10 * 60_000, text = '{"order":42}', ...rest } = overrides;
  const raw = Buffer.from(text, 'utf8');
  return {
    id: idAt(at),
    style: 'flow-trigger',
    registration: 'hello',
    receivedAt: new Date(at).toISOString(),
    method: 'POST',
    path: '/flows/hello/trigger',
    outcome: 'failed',
    status: 503,
    reason: 'the workflow engine is busy',
    runs: [],
    headers: { 'content-type': 'application/json', authorization: REDACTED },
    body: {
      bytes: raw.length,
      sha256: createHash('sha256').update(raw).digest('hex'),
      inline: raw.toString('base64'),
    },
    expiresAt: Math.floor(at / 1000) + 7 * 86_400,
    ...rest,
  };
}

export function setup(options: { bodies?: BodyStore; claimCheck?: ClaimCheck } = {}) {
  const registry = new FakeRegistry()
    .addFlow({ flowId: 'hello' })
    .addFlow({ flowId: 'orders', workflowType: 'STANDARD' })
    .addApiKey(ALL, { keyId: 'all', flows: ['*'], orgs: ['*'], scopes: ['trigger', 'deliveries'] })
    .addApiKey(HELLO, { keyId: 'hello', flows: ['hello'], scopes: ['deliveries'] })
    .addApiKey(ACME, { keyId: 'acme', flows: [], orgs: ['acme'], scopes: ['deliveries'] })
    .addApiKey(TRIGGER_ONLY, { keyId: 'legacy', flows: ['*'], orgs: ['*'] })
    .addWebhookTemplate('acme', 'notify')
    .addInboundWorkflow('inbound-echo', 'wf-1', 'STANDARD');
  const engine = new FakeEngine();
  const dedupe = new InMemoryDedupeStore();
  const webhooks = new InMemoryWebhookStore();
  const log = new InMemoryDeliveryLog(() => NOW, dedupe.guardRuns);
  const now = () => NOW;
  const handler = makeDeliveriesHandler({
    registry,
    webhooks,
    dedupe,
    engine,
    log,
    ...(options.bodies === undefined ? {} : { bodies: options.bodies }),
    ...(options.claimCheck === undefined ? {} : { claimCheck: options.claimCheck }),
    startReplay: makeRunStarter(
      { engine, dedupe, logger: silentLogger, now },
      { dedupeTtlSeconds: 7 * 86_400, dedupeWaitMs: 2_000, dedupeLeaseMs: 30_000, pollIntervalMs: 5 },
    ),
    executionLink: executionLinker('https://console.example/{executionArn}'),
    logger: silentLogger,
    now,
    retentionDays: 7,
  });
  const call = async (
    routeKey: string,
    options: { path?: string; id?: string; query?: string; body?: unknown; key?: string | null } = {},
  ) => {
    const [method = 'GET', template = ''] = routeKey.split(' ');
    const event = httpEvent({
      method,
      routeKey,
      path: template.replace('{id}', options.id ?? ''),
      ...(options.id === undefined ? {} : { pathParameters: { id: options.id } }),
      headers: options.key === null ? {} : { authorization: `Bearer ${options.key ?? ALL}` },
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    });
    const result = (await handler(
      { ...event, rawQueryString: options.query ?? '' },
      testContext,
    )) as APIGatewayProxyStructuredResultV2;
    return { status: result.statusCode, body: JSON.parse(result.body ?? 'null') };
  };
  const list = (query = '', key?: string) => call('GET /api/deliveries', { query, ...(key ? { key } : {}) });
  const show = (id: string, key?: string) => call('GET /api/deliveries/{id}', { id, ...(key ? { key } : {}) });
  const replay = (id: string, body: unknown = {}, key?: string) =>
    call('POST /api/deliveries/{id}/replay', { id, body, ...(key ? { key } : {}) });
  const bulk = (body: unknown, key?: string) => call('POST /api/deliveries/replay', { body, ...(key ? { key } : {}) });
  const add = async (...records: DeliveryRecord[]) => {
    for (const record of records) await log.put(record);
    return records;
  };
  return { handler, registry, engine, dedupe, webhooks, log, call, list, show, replay, bulk, add };
}
