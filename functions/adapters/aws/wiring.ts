import { parseConfig } from '../../core/config';
import { logger } from '../../core/logger';
import { executionLinker } from '../../core/runs/execution-link';
import { makeRunAndWait } from '../../core/runs/run-and-wait';
import { cachedRegistry } from '../../core/registry-cache';
import { makeRunStarter } from '../../core/runs/start-run';
import { dynamodbClient as awsDynamoDbClient, sfnClient } from './clients';
import { DynamoDbDedupeStore } from './dynamodb-dedupe-store';
import { DynamoDbDeliveryLedger } from './dynamodb-delivery-ledger';
import { DynamoDbDeliveryLog } from './dynamodb-delivery-log';
import { CREDENTIAL_HEADERS } from '../../http/request';
import type { Deadline, Recording } from '../../http/http-handler';
import { invocationDeadline, outsideDeadline } from './invocation-deadline';
import { DynamoDbProcessStore } from './dynamodb-process-store';
import { DynamoDbRegistry } from './dynamodb-registry';
import { DynamoDbWaitStore } from './dynamodb-wait-store';
import { DynamoDbWebhookStore } from './dynamodb-webhook-store';
import { SfnWorkflowEngine } from './sfn-engine';

/**
 * The composition root every handler calls once at cold start: config parsed from the environment (a bad
 * variable fails the cold start, naming it) and the AWS-backed ports. The fan-out queue and the body store are
 * wired apart (./fanout-queue.ts, ./body-store.ts), so that only the handlers using them bundle the SQS and S3
 * clients.
 */
export function wireAws(env: Record<string, string | undefined> = process.env) {
  const config = parseConfig(env);
  const dynamodbClient = awsDynamoDbClient();
  // Warm, a handler reads the registry at most once per REGISTRY_CACHE_SECONDS per item (docs/aws-calls.md).
  const registry = cachedRegistry(new DynamoDbRegistry(dynamodbClient, config.REGISTRY_TABLE), {
    ttlMs: config.REGISTRY_CACHE_SECONDS * 1000,
    detach: outsideDeadline,
  });
  // Its claims carry delivery records: their index keys use the same shard count as the log that lists them.
  const dedupe = new DynamoDbDedupeStore(dynamodbClient, config.DEDUPE_TABLE, {
    deliveryShards: config.DELIVERY_INDEX_SHARDS,
  });
  const engine = new SfnWorkflowEngine(sfnClient());
  const startRun = makeRunStarter(
    { engine, dedupe, logger },
    {
      dedupeTtlSeconds: config.DEDUPE_TTL_SECONDS,
      dedupeWaitMs: config.DEDUPE_WAIT_MS,
      dedupeLeaseMs: config.DEDUPE_LEASE_SECONDS * 1000,
    },
  );
  const deliveryLog = new DynamoDbDeliveryLog(dynamodbClient, config.DEDUPE_TABLE, {
    shards: config.DELIVERY_INDEX_SHARDS,
    maxItemsRead: config.DELIVERY_LIST_MAX_READ,
  });
  // Delivery records (docs/deliveries.md). The handlers that record large bodies add the S3 body store
  // (./body-store.ts `withBodyStore`): wired here, every handler's bundle would hold the S3 client.
  const recording: Recording = {
    deps: { log: deliveryLog, credentialHeaders: CREDENTIAL_HEADERS },
    settings: { retentionDays: config.DELIVERY_RETENTION_DAYS, inlineBodyBytes: config.DELIVERY_INLINE_BODY_BYTES },
  };
  const runAndWait = makeRunAndWait({ engine, logger }, { syncWaitMs: config.SYNC_WAIT_MS });
  return {
    config,
    logger,
    ports: {
      registry,
      dedupe,
      engine,
      startRun,
      runAndWait,
      waits: new DynamoDbWaitStore(dynamodbClient, config.DEDUPE_TABLE),
      webhooks: new DynamoDbWebhookStore(dynamodbClient, config.REGISTRY_TABLE),
      processes: new DynamoDbProcessStore(dynamodbClient, config.DEDUPE_TABLE),
      deliveries: new DynamoDbDeliveryLedger(dynamodbClient, config.DEDUPE_TABLE),
      // A claimed delivery's lease: like a dedupe claim's, it must outlast the handler that holds it.
      deliveryLeaseSeconds: config.DEDUPE_LEASE_SECONDS,
      deliveryLog,
      recording,
      // Every HTTP handler answers 503 ANSWER_RESERVE_MS before its Lambda timeout, its AWS calls cut short there.
      deadline: { reserveMs: config.ANSWER_RESERVE_MS, within: invocationDeadline.within } satisfies Deadline,
    },
    executionLink: executionLinker(config.EXECUTION_LINK_TEMPLATE),
  };
}
