/** Lambda entry: the events style (seed 3). Wiring only; the style lives in this folder. */
import { wireAws } from '../../../adapters/aws/wiring';
import { makeEventWebhookHandler } from '../http';

const { config, logger, ports, executionLink } = wireAws();

export const handler = makeEventWebhookHandler({
  ...ports,
  logger,
  executionLink,
  maxBodyBytes: config.MAX_BODY_BYTES,
  earlyCallbackTtlSeconds: config.EARLY_CALLBACK_TTL_SECONDS,
  claimLeaseSeconds: config.CALLBACK_CLAIM_LEASE_SECONDS,
});
