/** Lambda entry: GET|POST /webhook/{client}/{name}. Wiring only; the style lives in this folder. */
import { wireAws } from '../../../adapters/aws/wiring';
import { makeClientWebhookHandler } from '../http';

const { config, logger, ports, executionLink } = wireAws();

export const handler = makeClientWebhookHandler({
  ...ports,
  logger,
  executionLink,
  maxBodyBytes: config.MAX_STORED_BODY_BYTES,
  syncWaitMs: config.SYNC_WAIT_MS,
});
