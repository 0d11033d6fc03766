/** Lambda entry: the fan-out queue's worker (SQS event source). Wiring only; see functions/styles/inbound. */
import { wireAws } from '../../../adapters/aws/wiring';
import { makeFanoutHandler } from '../fanout-worker';

const { logger, ports } = wireAws();

export const handler = makeFanoutHandler({ startRun: ports.startRun, logger });
