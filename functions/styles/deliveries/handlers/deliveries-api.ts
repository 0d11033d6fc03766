/** Lambda entry: the deliveries API (docs/deliveries.md). Wiring only; the API lives in this folder. */
import { wireAws } from '../../../adapters/aws/wiring';
import { makeRunStarter } from '../../../core/runs/start-run';
import { claimCheckOf, lazyS3BodyStore } from '../../../adapters/aws/body-store';
import { makeDeliveriesHandler } from '../http';

const { config, logger, ports, executionLink } = wireAws();

export const handler = makeDeliveriesHandler({
  ...ports,
  log: ports.deliveryLog,
  // Bodies kept out of their records (S3), loaded at the first such body (../../../adapters/aws/body-store.ts).
  ...(config.BODIES_BUCKET === undefined ? {} : { bodies: lazyS3BodyStore(config.BODIES_BUCKET) }),
  // A replayed run input over 256 KiB is claim-checked as the style's route does: a fresh object (`bodies:write`).
  claimCheck: claimCheckOf(config, logger),
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
