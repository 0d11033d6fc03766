/** Lambda entry: POST /flows/{flowId}/trigger. Wiring only; the style lives in this folder. */
import { claimCheckOf, withBodyStore } from '../../../adapters/aws/body-store';
import { fanoutQueueWhenBusy } from '../../../adapters/aws/fanout-queue';
import { wireAws } from '../../../adapters/aws/wiring';
import { makeFlowTriggerHandler } from '../http';

const { config, logger, ports, executionLink } = wireAws();

export const handler = makeFlowTriggerHandler({
  ...ports,
  // Delivery records: a body over DELIVERY_INLINE_BODY_BYTES is kept in S3.
  recording: withBodyStore(ports.recording, config),
  logger,
  executionLink,
  maxBodyBytes: config.MAX_STORED_BODY_BYTES,
  // Large bodies: a run input over Step Functions' 256 KiB gets a reference to the body, stored in S3.
  claimCheck: claimCheckOf(config, logger),
  // Queue when busy (whenBusy: queue): a trigger the engine was too busy to start goes to the fan-out worker.
  queue: fanoutQueueWhenBusy(config),
});
