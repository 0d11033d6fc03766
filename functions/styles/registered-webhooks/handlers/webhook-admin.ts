/** Lambda entry: the registered webhooks admin API (seed 5). Wiring only; the style lives in functions/styles. */
import { wireAws } from '../../../adapters/aws/wiring';
import { makeWebhookAdminHandler } from '../http';

const { config, logger, ports } = wireAws();

export const handler = makeWebhookAdminHandler({ ...ports, logger, maxBodyBytes: config.MAX_BODY_BYTES });
