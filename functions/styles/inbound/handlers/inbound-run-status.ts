/** Lambda entry: GET /inbound/runs/{runRef}. Wiring only; the style lives in this folder. */
import { wireAws } from '../../../adapters/aws/wiring';
import { makeRunStatusHandler } from '../http';

const { logger, ports, executionLink } = wireAws();

export const handler = makeRunStatusHandler({ ...ports, logger, executionLink });
