import type { Logger } from '@aws-lambda-powertools/logger';
import type { Clock } from '../../core/clock';
import type { BodyStore, DeliveryLog } from '../../core/deliveries/log';
import type { DedupeStore, Registry, WebhookStore, WorkflowEngine } from '../../core/ports';
import type { ClaimCheck } from '../../core/runs/claim-check';
import type { StartRun } from '../../core/runs/start-run';

/** What the deliveries API works with: the log it reads, and what a replay re-resolves and starts with. */
export interface DeliveriesDeps {
  readonly registry: Registry;
  readonly webhooks: WebhookStore;
  readonly dedupe: DedupeStore;
  readonly engine: WorkflowEngine;
  readonly log: DeliveryLog;
  /** Where bodies kept out of their records live; without it, such a body reads as no longer kept. */
  readonly bodies?: BodyStore;
  /**
   * Starts a replay's runs: the run starter every style uses, its claims kept DELIVERY_RETENTION_DAYS (not the
   * dedupe window), so that an if-no-run replay's claim lasts as long as the delivery it replays can be replayed.
   */
  readonly startReplay: StartRun;
  /**
   * A replayed run input over Step Functions' 256 KiB gets a reference to a freshly stored body, as the style's
   * route does (functions/core/runs/claim-check.ts); absent: such a replay is refused with 413.
   */
  readonly claimCheck?: ClaimCheck;
  readonly executionLink: (executionArn: string) => string;
  readonly logger: Logger;
  readonly now: Clock;
  /** DELIVERY_RETENTION_DAYS: the oldest time a list may ask for, and how long a replay's record is kept. */
  readonly retentionDays: number;
}
