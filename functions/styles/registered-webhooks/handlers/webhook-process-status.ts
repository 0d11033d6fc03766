/** Lambda entry: GET /api/processes/{processId} (seed 5). Wiring only. */
import { wireAws } from '../../../adapters/aws/wiring';
import { makeProcessStatusHandler } from '../http';

const { logger, ports, executionLink } = wireAws();

export const handler = makeProcessStatusHandler({ ...ports, logger, executionLink });
