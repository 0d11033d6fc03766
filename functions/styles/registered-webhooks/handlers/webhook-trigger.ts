/** Lambda entry: POST /api/trigger-webhooks/{webhookId} (seed 5). Wiring only. */
import { claimCheckOf, withBodyStore } from '../../../adapters/aws/body-store';
import { fanoutQueueWhenBusy } from '../../../adapters/aws/fanout-queue';
import { wireAws } from '../../../adapters/aws/wiring';
import { cachedWebhookReads } from '../../../core/registry-cache';
import { outsideDeadline } from '../../../adapters/aws/invocation-deadline';
import { makeWebhookTriggerHandler } from '../http';

const { config, logger, ports, executionLink } = wireAws();

export const handler = makeWebhookTriggerHandler({
  ...ports,
  // Delivery records: a body over DELIVERY_INLINE_BODY_BYTES is kept in S3.
  recording: withBodyStore(ports.recording, config),
  // Warm, a webhook and its bindings are read once per REGISTRY_CACHE_SECONDS, like every other registration.
  webhooks: cachedWebhookReads(ports.webhooks, {
    ttlMs: config.REGISTRY_CACHE_SECONDS * 1000,
    detach: outsideDeadline,
  }),
  logger,
  executionLink,
  maxBodyBytes: config.MAX_STORED_BODY_BYTES,
  // Large bodies: a run input over Step Functions' 256 KiB gets a reference to the body, stored in S3.
  claimCheck: claimCheckOf(config, logger),
  // Queue when busy: a start the engine was too busy to make goes to the fan-out worker (docs/deliveries.md).
  queue: fanoutQueueWhenBusy(config),
});
