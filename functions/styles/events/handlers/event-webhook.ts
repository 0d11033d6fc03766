/** Lambda entry: the events style (seed 3). Wiring only; the style lives in this folder. */
import { makeEventWebhookHandler } from '../http';
import { claimCheckOf } from '../../../adapters/aws/body-store';
import { fanoutQueueWhenBusy } from '../../../adapters/aws/fanout-queue';
import { eventsDeps } from './deps';

const deps = eventsDeps();

// Starts runs from request bodies: bodies up to MAX_STORED_BODY_BYTES, a run input over 256 KiB claim-checked.
export const handler = makeEventWebhookHandler({
  ...deps,
  maxStoredBodyBytes: deps.config.MAX_STORED_BODY_BYTES,
  claimCheck: claimCheckOf(deps.config, deps.logger),
  // Queue when busy: a start the engine was too busy to make goes to the fan-out worker (docs/deliveries.md).
  queue: fanoutQueueWhenBusy(deps.config),
});
