import type { DeliveryLog, DeliveryPage, DeliveryQuery } from '../../functions/core/deliveries/log';
import { matches, mergeNewestFirst, summaryOf } from '../../functions/core/deliveries/listing';
import type { DeliveryRecord, DeliveryRun } from '../../functions/core/deliveries/record';
import { idRangeOf } from '../../functions/core/deliveries/ids';

/** The deliveries port in memory, on the listing rules the DynamoDB adapter applies (one shard). */
export class InMemoryDeliveryLog implements DeliveryLog {
  readonly records = new Map<string, DeliveryRecord>();

  constructor(private readonly nowMs: () => number = Date.now) {}

  async put(record: DeliveryRecord): Promise<void> {
    this.records.set(record.id, record);
  }

  async get(id: string): Promise<DeliveryRecord | undefined> {
    const record = this.records.get(id);
    return record === undefined || record.expiresAt * 1000 <= this.nowMs() ? undefined : record;
  }

  async markStarted(id: string, run: DeliveryRun | undefined, rebuilt?: DeliveryRecord): Promise<boolean> {
    const record = (await this.get(id)) ?? rebuilt;
    if (record === undefined || record.outcome !== 'queued') return false;
    this.records.set(id, { ...record, outcome: 'started', runs: run === undefined ? record.runs : [run] });
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
    return mergeNewestFirst([{ items, more: false }], query.limit);
  }
}
