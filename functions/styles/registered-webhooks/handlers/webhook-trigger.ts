/** Lambda entry: POST /api/trigger-webhooks/{webhookId} (seed 5). Wiring only. */
import { wireAws } from '../../../adapters/aws/wiring';
import { makeWebhookTriggerHandler } from '../http';

const { config, logger, ports, executionLink } = wireAws();

export const handler = makeWebhookTriggerHandler({
  ...ports,
  logger,
  executionLink,
  maxBodyBytes: config.MAX_BODY_BYTES,
});
