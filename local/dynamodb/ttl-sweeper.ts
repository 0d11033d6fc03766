import {
  type AttributeValue,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DynamoDBClient,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';

/**
 * DynamoDB's Time to Live, as the local stack applies it: dynalite has no TTL at all (docs/dynamodb.md), so without
 * this nothing the handlers write with an `expiresAt` ever goes, and the data folder and dynalite's cost per write
 * grow with every request (docs/performance.md, "The local stack slowed down as it ran").
 *
 * What it copies from AWS (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateTimeToLive.html
 * and https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/time-to-live-ttl-before-you-start.html):
 * - an item is expired when its TTL attribute, a Number of epoch seconds, is less than the current time; an
 *   attribute of any other type is ignored, and so is a time more than five years in the past;
 * - expired items are deleted on a best-effort basis, "typically within two days"; until then they "still show up
 *   in reads, queries, and scans", so hookflow checks `expiresAt` in every condition and read itself and never
 *   relies on a deletion;
 * - a deletion removes the item from the table's indexes too (the dedupe table's `deliveries` index).
 * The local stack deletes an item only `deleteAfterSeconds` past its expiry (an hour by default), so the
 * expired-but-still-there state AWS shows for hours or days is what a local request meets too; and it deletes only
 * if the attribute still holds the value the scan saw, so an item written again since (a claim taken over) stays.
 */
export interface TtlTable {
  readonly name: string;
  /** The table's key attributes (what a DeleteItem names). */
  readonly keyAttributes: readonly string[];
  /** The TTL attribute, as lib/hookflow-tables.ts enables it (`timeToLiveAttribute`). */
  readonly ttlAttribute: string;
}

export interface TtlSweepSettings {
  /** HOOKFLOW_LOCAL_TTL_SWEEP_SECONDS: one page of the table examined this often; 0 turns the sweeper off. */
  readonly everySeconds: number;
  /** HOOKFLOW_LOCAL_TTL_DELETE_AFTER_SECONDS: how long past its expiry an item is left before it is deleted. */
  readonly deleteAfterSeconds: number;
  /** Items examined per page (the Scan's Limit). */
  readonly pageSize: number;
}

export const TTL_SWEEP_DEFAULTS: TtlSweepSettings = { everySeconds: 10, deleteAfterSeconds: 3600, pageSize: 1000 };

/** "The TTL cannot be more than five years in the past" for the item to be considered at all. */
export const TTL_MAX_AGE_SECONDS = 5 * 365 * 24 * 60 * 60;

/** Whether DynamoDB's TTL may have deleted an item with this TTL attribute by now, `afterSeconds` past its expiry. */
export function deletableByTtl(value: AttributeValue | undefined, nowSeconds: number, afterSeconds = 0): boolean {
  if (value?.N === undefined) return false;
  const expiresAt = Number(value.N);
  if (!Number.isFinite(expiresAt)) return false;
  return expiresAt < nowSeconds - afterSeconds && nowSeconds - expiresAt <= TTL_MAX_AGE_SECONDS;
}

export interface SweptPage {
  readonly examined: number;
  readonly deleted: number;
  /** The page was the table's last: the next one starts from its beginning again. */
  readonly wrapped: boolean;
}

/** Walks one table a page at a time, round and round, deleting what TTL would have deleted (TtlTable above). */
export class TtlSweeper {
  private cursor: Record<string, AttributeValue> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;

  constructor(
    private readonly client: DynamoDBClient,
    private readonly table: TtlTable,
    private readonly settings: TtlSweepSettings = TTL_SWEEP_DEFAULTS,
    private readonly nowSeconds: () => number = () => Math.floor(Date.now() / 1000),
  ) {}

  /** The next page: its items past their TTL and `deleteAfterSeconds` deleted, each unless written again since. */
  async sweepPage(): Promise<SweptPage> {
    const { name, keyAttributes, ttlAttribute } = this.table;
    const attributes = [...keyAttributes, ttlAttribute];
    const names = Object.fromEntries(attributes.map((attribute, i) => [`#a${i}`, attribute]));
    const page = await this.client.send(
      new ScanCommand({
        TableName: name,
        Limit: this.settings.pageSize,
        ExclusiveStartKey: this.cursor,
        ProjectionExpression: Object.keys(names).join(', '),
        ExpressionAttributeNames: names,
      }),
    );
    this.cursor = page.LastEvaluatedKey;
    const now = this.nowSeconds();
    let deleted = 0;
    for (const item of page.Items ?? []) {
      const seen = item[ttlAttribute];
      if (!deletableByTtl(seen, now, this.settings.deleteAfterSeconds)) continue;
      try {
        await this.client.send(
          new DeleteItemCommand({
            TableName: name,
            Key: Object.fromEntries(keyAttributes.map((attribute) => [attribute, item[attribute]!])),
            ConditionExpression: '#ttl = :seen',
            ExpressionAttributeNames: { '#ttl': ttlAttribute },
            ExpressionAttributeValues: { ':seen': seen! },
          }),
        );
        deleted++;
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error; // written again since the scan: kept
      }
    }
    return { examined: page.Items?.length ?? 0, deleted, wrapped: this.cursor === undefined };
  }

  /** A page every `everySeconds` (none at 0), one at a time; a failed page is reported and the next one tried. */
  start(report: (message: string) => void): void {
    if (this.settings.everySeconds <= 0 || this.timer !== undefined) return;
    this.timer = setInterval(() => {
      if (this.running !== undefined) return;
      this.running = this.sweepPage()
        .catch((error: unknown) => report(`TTL sweep of ${this.table.name}: ${(error as Error).message}`))
        .finally(() => (this.running = undefined));
    }, this.settings.everySeconds * 1000);
    this.timer.unref();
  }

  /** Stops the timer and waits for a page under way, so DynamoDB can be closed after it. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
