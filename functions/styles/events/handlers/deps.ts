import { withBodyStore } from '../../../adapters/aws/body-store';
import { wireAws } from '../../../adapters/aws/wiring';

/** What the events style's HTTP handlers are given in AWS: one wiring for all three (intake, webhook, callback). */
export function eventsDeps() {
  const { config, logger, ports, executionLink } = wireAws();
  return {
    config,
    ...ports,
    // Delivery records: a body over DELIVERY_INLINE_BODY_BYTES is kept in S3.
    recording: withBodyStore(ports.recording, config),
    logger,
    executionLink,
    maxBodyBytes: config.MAX_BODY_BYTES,
    earlyCallbackTtlSeconds: config.EARLY_CALLBACK_TTL_SECONDS,
    claimLeaseSeconds: config.CALLBACK_CLAIM_LEASE_SECONDS,
  };
}
