/** Lambda entry: the deliveries API (docs/deliveries.md). Wiring only; the API lives in this folder. */
import { wireAws } from '../../../adapters/aws/wiring';
import type { DeliveryLog } from '../../../core/deliveries/log';
import { makeRunStarter } from '../../../core/runs/start-run';
import { lazyS3BodyStore } from '../../../adapters/aws/body-store';
import { makeDeliveriesHandler } from '../http';

const { config, logger, ports, executionLink } = wireAws();

/** Until the DynamoDB delivery log is wired (below), every deliveries request is a 500 saying so in the log. */
const unwired: DeliveryLog = {
  put: () => Promise.reject(new Error('the delivery log is not wired')),
  get: () => Promise.reject(new Error('the delivery log is not wired')),
  list: () => Promise.reject(new Error('the delivery log is not wired')),
};

export const handler = makeDeliveriesHandler({
  ...ports,
  // LEAD (merge with the records branch): the DynamoDB delivery log, e.g. ports.deliveryLog or
  // new DynamoDbDeliveryLog(client, config.DEDUPE_TABLE, settings) from '../../../adapters/aws/dynamodb-delivery-log'.
  log: unwired,
  // Bodies kept out of their records (S3), loaded at the first such body (../../../adapters/aws/body-store.ts).
  ...(config.BODIES_BUCKET === undefined ? {} : { bodies: lazyS3BodyStore(config.BODIES_BUCKET) }),
  // Replay claims are kept as long as the deliveries they replay (docs/deliveries.md, "Replay").
  startReplay: makeRunStarter(
    { engine: ports.engine, dedupe: ports.dedupe, logger },
    {
      dedupeTtlSeconds: config.DELIVERY_RETENTION_DAYS * 24 * 60 * 60,
      dedupeWaitMs: config.DEDUPE_WAIT_MS,
      dedupeLeaseMs: config.DEDUPE_LEASE_SECONDS * 1000,
    },
  ),
  executionLink,
  logger,
  now: Date.now,
  retentionDays: config.DELIVERY_RETENTION_DAYS,
});
