/** Lambda entry: the events style (seed 3). Wiring only; the style lives in this folder. */
import { makeEventWebhookHandler } from '../http';
import { eventsDeps } from './deps';

export const handler = makeEventWebhookHandler(eventsDeps());
