/** Lambda entry: GET /inbound/runs/{runRef}. Wiring only; the style lives in functions/styles/inbound. */
import { wireAws } from '../adapters/aws/wiring';
import { makeRunStatusHandler } from '../styles/inbound/http';

const { logger, ports, executionLink } = wireAws();

export const handler = makeRunStatusHandler({ ...ports, logger, executionLink });
