/** Lambda entry: GET|POST /webhook/{client}/{name}. Wiring only; the style lives in this folder. */
import { claimCheckOf, withBodyStore } from '../../../adapters/aws/body-store';
import { fanoutQueueWhenBusy } from '../../../adapters/aws/fanout-queue';
import { wireAws } from '../../../adapters/aws/wiring';
import { makeClientWebhookHandler } from '../http';

const { config, logger, ports, executionLink } = wireAws();

export const handler = makeClientWebhookHandler({
  ...ports,
  // Delivery records: a body over DELIVERY_INLINE_BODY_BYTES is kept in S3.
  recording: withBodyStore(ports.recording, config),
  logger,
  executionLink,
  maxBodyBytes: config.MAX_STORED_BODY_BYTES,
  // Large bodies: a run input over Step Functions' 256 KiB gets a reference to the body, stored in S3.
  claimCheck: claimCheckOf(config, logger),
  syncWaitMs: config.SYNC_WAIT_MS,
  // Queue when busy: an ?async call the engine was too busy to start goes to the fan-out worker (docs/deliveries.md).
  queue: fanoutQueueWhenBusy(config),
});
