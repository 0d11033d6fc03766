/** Lambda entry: POST /flows/{flowId}/trigger. Wiring only; the style lives in functions/styles/flow-trigger. */
import { wireAws } from '../adapters/aws/wiring';
import { makeFlowTriggerHandler } from '../styles/flow-trigger/http';

const { config, logger, ports, executionLink } = wireAws();

export const handler = makeFlowTriggerHandler({
  ...ports,
  logger,
  executionLink,
  maxBodyBytes: config.MAX_BODY_BYTES,
});
