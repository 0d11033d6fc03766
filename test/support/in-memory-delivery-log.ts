import type { DeliveryLog, DeliveryPage, DeliveryQuery } from '../../functions/core/deliveries/log';
import { matches, mergeNewestFirst, summaryOf } from '../../functions/core/deliveries/listing';
import type { DeliveryRecord, DeliveryRun } from '../../functions/core/deliveries/record';
import { idRangeOf } from '../../functions/core/deliveries/ids';
import { withStartedRun } from '../../functions/core/deliveries/started-runs';
import { withGuardedRuns } from '../../functions/core/deliveries/guarded-runs';
import type { RunHandle } from '../../functions/core/ports';

/** The deliveries port in memory, on the listing rules the DynamoDB adapter applies (one shard). */
export class InMemoryDeliveryLog implements DeliveryLog {
  readonly records = new Map<string, DeliveryRecord>();
  /** The keys of the runs the worker added (the DynamoDB item's `startedRuns`), by record id. */
  private readonly startedKeys = new Map<string, readonly string[]>();

  constructor(
    private readonly nowMs: () => number = Date.now,
    /** The run guard's items (InMemoryDedupeStore.guardRuns): a record a guarded claim carries reads its run there. */
    private readonly guardRuns: ReadonlyMap<string, RunHandle> = new Map(),
  ) {}

  /** As the DynamoDB log hands records out: each run named by its guard read off the guard's item, at `nowMs`. */
  private asRead<T extends Pick<DeliveryRecord, 'runs'>>(record: T): T {
    const named = new Map([...this.guardRuns].map(([key, run]) => [key, run.executionArn]));
    return withGuardedRuns(record, named, this.nowMs());
  }

  /** Only where no record has the id (the worker may have written it first): as the adapter's conditional put. */
  async put(record: DeliveryRecord): Promise<boolean> {
    if (this.records.has(record.id)) return false;
    this.records.set(record.id, record);
    return true;
  }

  async get(id: string): Promise<DeliveryRecord | undefined> {
    const record = this.current(id);
    return record === undefined ? undefined : this.asRead(record);
  }

  /** Read and written with no await between, so that concurrent calls act one after the other, as DynamoDB's. */
  private current(id: string): DeliveryRecord | undefined {
    const record = this.records.get(id);
    return record === undefined || record.expiresAt * 1000 <= this.nowMs() ? undefined : record;
  }

  async markStarted(id: string, run: DeliveryRun | undefined, rebuilt?: DeliveryRecord): Promise<boolean> {
    const record = this.current(id) ?? rebuilt;
    if (record === undefined) return false;
    if (run === undefined) {
      if (record.outcome !== 'queued') return false;
      this.records.set(id, { ...record, outcome: 'started' });
      return true;
    }
    const added = withStartedRun(record, this.startedKeys.get(id), run);
    if (added === undefined) return false;
    this.records.set(id, { ...record, outcome: 'started', runs: added.runs });
    this.startedKeys.set(id, added.startedKeys);
    return true;
  }

  async list(query: DeliveryQuery): Promise<DeliveryPage> {
    const { first, last } = idRangeOf(query.from, query.to);
    const items = [...this.records.values()]
      .filter((record) => record.expiresAt * 1000 > this.nowMs())
      .filter((record) => record.id >= first && record.id <= last)
      .filter((record) => query.cursor === undefined || record.id < query.cursor)
      .map(summaryOf)
      .filter((summary) => matches(summary, query));
    const page = mergeNewestFirst([{ items, more: false }], query.limit);
    return { ...page, items: page.items.map((item) => this.asRead(item)) };
  }
}
