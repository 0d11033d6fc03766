/** Lambda entry: POST /inbound. Wiring only; the style lives in this folder. */
import { withBodyStore } from '../../../adapters/aws/body-store';
import { fanoutQueue } from '../../../adapters/aws/fanout-queue';
import { wireAws } from '../../../adapters/aws/wiring';
import { makeInboundHandler } from '../http';

const { config, logger, ports, executionLink } = wireAws();

export const handler = makeInboundHandler({
  ...ports,
  // Delivery records: a body over DELIVERY_INLINE_BODY_BYTES is kept in S3.
  recording: withBodyStore(ports.recording, config),
  queue: fanoutQueue(config),
  logger,
  executionLink,
  maxInputBytes: config.MAX_BODY_BYTES,
  limits: { maxBodyBytes: config.INBOUND_MAX_BODY_BYTES, maxBatchItems: config.MAX_BATCH_ITEMS },
});
