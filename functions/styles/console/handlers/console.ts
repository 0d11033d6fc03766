/** Lambda entry: GET /console and its two assets. Wiring only; the page lives in this folder. */
import { logger } from '../../../core/logger';
import { makeConsoleHandler } from '../http';

export const handler = makeConsoleHandler({ logger });
