/** Lambda entry: POST /flows/{flowId}/trigger. Wiring only; the style lives in this folder. */
import { wireAws } from '../../../adapters/aws/wiring';
import { makeFlowTriggerHandler } from '../http';

const { config, logger, ports, executionLink } = wireAws();

export const handler = makeFlowTriggerHandler({
  ...ports,
  logger,
  executionLink,
  maxBodyBytes: config.MAX_STORED_BODY_BYTES,
});
