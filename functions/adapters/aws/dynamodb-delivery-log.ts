import {
  type AttributeValue,
  BatchGetItemCommand,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  type QueryCommandOutput,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { marshallItem } from './attribute-values';
import { idRangeOf, indexPartitionOf, indexPartitions, isDeliveryId } from '../../core/deliveries/ids';
import { matches, mergeNewestFirst } from '../../core/deliveries/listing';
import type { DeliveryLog, DeliveryPage, DeliveryQuery, DeliverySummary } from '../../core/deliveries/log';
import type { DeliveryRecord, DeliveryRun } from '../../core/deliveries/record';
import { runGuardsOf, withGuardedRuns } from '../../core/deliveries/guarded-runs';
import { EngineBusyError } from '../../core/outcomes';
import { placeholderIndexOf, startedRunKey } from '../../core/deliveries/started-runs';
import { dedupePartitionPrefixes } from './registry-items';
import { DELIVERIES_INDEX, deliveriesIndexSchema } from './table-schemas';

/**
 * Delivery records on the dedupe table (docs/deliveries.md). A record no claim carries is its own item,
 * `pk = dlv#<id>`; a keyed request's record rides on its dedupe claim (DynamoDbDedupeStore writes the same
 * attributes, from `deliveryAttributes`). Either way the item carries the `deliveries` index keys (`dPk`, `dSk`),
 * and the index projects the summary attributes only (lib/hookflow-tables.ts), never headers or body.
 */

/** The base-table key of a record no claim carries. */
export const deliveryItemKey = (id: string) => `${dedupePartitionPrefixes.records}${id}`;

/**
 * The attributes a record adds to an item (its own or its claim's): the record's fields as named, the index keys,
 * and `bodyBytes` (the body's size on its own, so a summary read off the index has it without the body).
 * `expiresAt` is left to the caller: on a claim it is the later of the claim's dedupe expiry and the record's.
 */
export function deliveryAttributes(record: DeliveryRecord, shards: number): Record<string, unknown> {
  const { expiresAt: _expiresAt, ...fields } = record;
  return {
    ...fields,
    bodyBytes: record.body.bytes,
    [deliveriesIndexSchema.partitionKey]: indexPartitionOf(record.id, shards),
    [deliveriesIndexSchema.sortKey]: record.id,
  };
}

export interface DynamoDbDeliveryLogOptions {
  /** DELIVERY_INDEX_SHARDS: how many index partitions records are spread over. */
  readonly shards: number;
  /** DELIVERY_LIST_MAX_READ: most index items one list call reads, over every shard (docs/limits.md). */
  readonly maxItemsRead: number;
  readonly now?: () => number;
  /** Waits between BatchGetItem retries of unprocessed keys (tests pass a no-op). */
  readonly sleep?: (ms: number) => Promise<void>;
}

/**
 * BatchGetItem takes at most 100 keys per call ("If you request more than 100 items, BatchGetItem returns a
 * ValidationException") and may leave some unread, returned as UnprocessedKeys, to be asked again, backing off:
 * https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchGetItem.html
 */
const BATCH_GET_MAX_KEYS = 100;
/** Tries of one batch's unprocessed keys before the read answers 503 (backing off 50, 100, 200, 400 ms). */
const BATCH_GET_ATTEMPTS = 5;

/** The item's string set of started run keys (core/deliveries/started-runs.ts `startedRunKey`); not a record field. */
const STARTED_RUNS = 'startedRuns';

export class DynamoDbDeliveryLog implements DeliveryLog {
  private readonly now: () => number;

  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    private readonly options: DynamoDbDeliveryLogOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  private readonly sleep: (ms: number) => Promise<void>;

  /**
   * One PutItem, only where no item holds the key (`attribute_not_exists(pk)`): a record's id is new (a ULID), so
   * the only item that can already be there is the one the fan-out worker wrote, `started` with its run, from the
   * queued message (`markStarted` with `rebuilt`) before this request's handler got to its own write. That record
   * is the later truth: it stays, and this write changes nothing (false, not an error). The condition fails with
   * ConditionalCheckFailedException: https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_PutItem.html
   * (and "Preventing overwrites of an existing item":
   * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.ConditionExpressions.html).
   */
  async put(record: DeliveryRecord): Promise<boolean> {
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: marshallItem({
            pk: deliveryItemKey(record.id),
            ...deliveryAttributes(record, this.options.shards),
            expiresAt: record.expiresAt,
          }),
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': 'pk' },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /**
   * One conditional UpdateItem of the record's own `dlv#` item (a record a claim carries changes nothing). The rule
   * is core/deliveries/started-runs.ts (`withStartedRun`), in DynamoDB terms:
   * - with a run: the run is appended to `runs` (`list_append`) and its key (`startedRunKey`) added to the string set
   *   `startedRuns` (`ADD`), on condition that the record accepts it (`queued`, or `started` by the worker: it has
   *   `startedRuns`) and does not list that key yet (`NOT contains`): every queued start of one request adds its run,
   *   in any order, and a redelivered message changes nothing. A run listed at queue time by its runRef (an inbound
   *   item) is then removed from the list (`placeholderIndexOf`, one more conditional UpdateItem, `REMOVE` at its
   *   index, on condition that it is still that runRef without an ARN).
   * - without a run (a named start, whose record names its runs already): only a `queued` record becomes `started`.
   * Update expressions (SET list_append, ADD to a set, REMOVE a list element):
   * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.UpdateExpressions.html
   * Condition functions (IN, contains, attribute_exists, attribute_not_exists, size):
   * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.OperatorsAndFunctions.html
   * A failed condition throws ConditionalCheckFailedException:
   * https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateItem.html
   * With `rebuilt`, the same call also writes a record that was never written: UpdateItem "edits an existing item's
   * attributes, or adds a new item to the table if it does not already exist" (same page), so the condition admits a
   * missing item (`attribute_not_exists(pk)`) and every other attribute is set `if_not_exists`, leaving a written
   * record's own values (its headers, its body) as they are.
   */
  async markStarted(id: string, run: DeliveryRun | undefined, rebuilt?: DeliveryRecord): Promise<boolean> {
    const names: Record<string, string> = { '#outcome': 'outcome' };
    const values: Record<string, unknown> = { ':started': 'started', ':queued': 'queued' };
    const sets = ['#outcome = :started'];
    let adds: string | undefined;
    let accepts = '#outcome = :queued';
    if (run !== undefined) {
      names['#runs'] = 'runs';
      names['#startedRuns'] = STARTED_RUNS;
      values[':run'] = [run];
      values[':none'] = [];
      values[':key'] = startedRunKey(run);
      values[':keys'] = new Set([startedRunKey(run)]);
      sets.push('#runs = list_append(if_not_exists(#runs, :none), :run)');
      adds = '#startedRuns :keys';
      // acceptsStartedRun: queued, or started by the worker (startedRuns exists); and the run not added yet.
      accepts =
        '(#outcome = :queued OR (#outcome = :started AND attribute_exists(#startedRuns))) AND NOT contains(#startedRuns, :key)';
    }
    if (rebuilt !== undefined) {
      const fields: Record<string, unknown> = {
        ...deliveryAttributes(rebuilt, this.options.shards),
        expiresAt: rebuilt.expiresAt,
      };
      delete fields.outcome;
      if (run !== undefined) delete fields.runs;
      Object.entries(fields)
        .filter(([, value]) => value !== undefined)
        .forEach(([name, value], i) => {
          names[`#f${i}`] = name;
          values[`:f${i}`] = value;
          sets.push(`#f${i} = if_not_exists(#f${i}, :f${i})`);
        });
    }
    let updated: Record<string, AttributeValue> | undefined;
    try {
      const answer = await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: marshall({ pk: deliveryItemKey(id) }),
          UpdateExpression: `SET ${sets.join(', ')}${adds === undefined ? '' : ` ADD ${adds}`}`,
          ConditionExpression: rebuilt === undefined ? accepts : `attribute_not_exists(#pk) OR (${accepts})`,
          ExpressionAttributeNames: { ...names, ...(rebuilt === undefined ? {} : { '#pk': 'pk' }) },
          ExpressionAttributeValues: marshall(values, { removeUndefinedValues: true }),
          ...(run?.runRef === undefined ? {} : { ReturnValues: 'UPDATED_NEW' as const }),
        }),
      );
      updated = answer.Attributes;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
    if (run !== undefined && updated?.runs !== undefined) await this.dropPlaceholder(id, run, updated);
    return true;
  }

  /**
   * The entry a started run replaces (listed at queue time by its runRef, without an ARN), removed at its index on
   * condition that it is still there. Another start's removal may have moved it: the failed condition returns the
   * item as it is (ReturnValuesOnConditionCheckFailure ALL_OLD, no read, no other IAM action:
   * https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateItem.html), and the removal is tried
   * again at its new index.
   */
  private async dropPlaceholder(id: string, run: DeliveryRun, updated: Record<string, AttributeValue>): Promise<void> {
    let runs = (unmarshall(updated).runs ?? []) as DeliveryRun[];
    // A failed condition means another start removed its own placeholder since the list was read (appends go last and
    // move no index), and there are no more of those than entries: the attempts always suffice.
    const attempts = runs.length + 1;
    for (let attempt = 0; attempt < attempts; attempt += 1) {
      const index = placeholderIndexOf(runs, run);
      if (index === undefined) return;
      try {
        await this.client.send(
          new UpdateItemCommand({
            TableName: this.tableName,
            Key: marshall({ pk: deliveryItemKey(id) }),
            UpdateExpression: `REMOVE #runs[${index}]`,
            ConditionExpression: `#runs[${index}].#runRef = :runRef AND attribute_not_exists(#runs[${index}].#arn)`,
            ExpressionAttributeNames: { '#runs': 'runs', '#runRef': 'runRef', '#arn': 'executionArn' },
            ExpressionAttributeValues: marshall({ ':runRef': run.runRef }),
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        );
        return;
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        runs = ((error.Item === undefined ? await this.runsNow(id) : unmarshall(error.Item).runs) ??
          []) as DeliveryRun[];
      }
    }
  }

  /**
   * The list as it is, where a failed condition did not return the item (dynalite ignores
   * ReturnValuesOnConditionCheckFailure: docs/dynamodb.md): an UpdateItem that sets the list to itself, returning
   * it (ReturnValues UPDATED_NEW, strongly consistent: same page as above), so the worker needs no GetItem on `dlv#`.
   */
  private async runsNow(id: string): Promise<unknown> {
    const { Attributes } = await this.client.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: marshall({ pk: deliveryItemKey(id) }),
        UpdateExpression: 'SET #runs = #runs',
        ConditionExpression: 'attribute_exists(#runs)',
        ExpressionAttributeNames: { '#runs': 'runs' },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    return Attributes === undefined ? undefined : unmarshall(Attributes).runs;
  }

  /**
   * The id names its index partition: one Query of the index (dPk, dSk = id) finds the base-table item, whichever
   * it is (its own `dlv#` item or the claim that carries it), then one GetItem reads headers and body, which the
   * index does not project. A record on its own item could be read with the GetItem alone, but the index answers
   * for both kinds in the same two calls, and reads are the console's and the CLI's, not the webhook path's.
   */
  async get(id: string): Promise<DeliveryRecord | undefined> {
    if (!isDeliveryId(id)) return undefined;
    const found = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: DELIVERIES_INDEX,
        KeyConditionExpression: '#dPk = :dPk AND #dSk = :dSk',
        ExpressionAttributeNames: { '#dPk': deliveriesIndexSchema.partitionKey, '#dSk': deliveriesIndexSchema.sortKey },
        ExpressionAttributeValues: marshall({ ':dPk': indexPartitionOf(id, this.options.shards), ':dSk': id }),
      }),
    );
    const pk = found.Items?.[0]?.pk?.S;
    if (pk === undefined) return undefined;
    const { Item } = await this.client.send(
      new GetItemCommand({ TableName: this.tableName, Key: marshall({ pk }), ConsistentRead: true }),
    );
    if (Item === undefined) return undefined;
    const item = unmarshall(Item);
    // The claim may have been taken over by a later delivery since the index answered.
    if (item[deliveriesIndexSchema.sortKey] !== id) return undefined;
    const record = recordOf(item);
    if (record.expiresAt * 1000 <= this.now()) return undefined;
    return withGuardedRuns(record, await this.guardedRuns(runGuardsOf([record])), this.now());
  }

  /**
   * The runs named by run guard items (core/deliveries/guarded-runs.ts): guard item key to the execution ARN it
   * holds, absent while the run has not reached its guard or once DynamoDB's TTL removed the item (the core rule tells
   * the two apart by the claim's window). One BatchGetItem per 100 keys, not a GetItem per record:
   * a page of a list (at most MAX_DELIVERIES_PAGE, 100) asks for all of its guards in one call, whose read units
   * are those of the GetItems it replaces. Strongly consistent (ConsistentRead, per table in the request), as a
   * duplicate reads the item (DynamoDbDedupeStore.guardedRun). Keys left unread (UnprocessedKeys) are asked again,
   * backing off, as the page above says to; still unread after BATCH_GET_ATTEMPTS, the read answers 503 with
   * Retry-After rather than a record without its run.
   */
  private async guardedRuns(keys: readonly string[]): Promise<ReadonlyMap<string, string>> {
    const named = new Map<string, string>();
    for (let i = 0; i < keys.length; i += BATCH_GET_MAX_KEYS) {
      let pending: Record<string, AttributeValue>[] = keys
        .slice(i, i + BATCH_GET_MAX_KEYS)
        .map((pk) => marshall({ pk }));
      for (let attempt = 0; pending.length > 0; attempt += 1) {
        if (attempt === BATCH_GET_ATTEMPTS) {
          throw new EngineBusyError('the deliveries table is busy: retry after Retry-After seconds', {
            retryAfterSeconds: 1,
          });
        }
        if (attempt > 0) await this.sleep(50 * 2 ** (attempt - 1));
        const answer = await this.client.send(
          new BatchGetItemCommand({
            RequestItems: {
              [this.tableName]: {
                Keys: pending,
                ConsistentRead: true,
                ProjectionExpression: '#pk, #arn',
                ExpressionAttributeNames: { '#pk': 'pk', '#arn': 'executionArn' },
              },
            },
          }),
        );
        for (const raw of answer.Responses?.[this.tableName] ?? []) {
          const { pk, executionArn } = unmarshall(raw) as { pk?: unknown; executionArn?: unknown };
          if (typeof pk === 'string' && typeof executionArn === 'string') named.set(pk, executionArn);
        }
        pending = answer.UnprocessedKeys?.[this.tableName]?.Keys ?? [];
      }
    }
    return named;
  }

  /**
   * Each shard's key range (the time range, below the cursor), newest first, filtered by `matches` and merged by
   * `mergeNewestFirst` (core/deliveries/listing.ts). At most `maxItemsRead` index items are read per call, split
   * over the shards, so a narrow filter over a wide range answers in bounded time: a shard that spent its share
   * stops at the id it reached, only what every shard has read above the highest such stop is returned, and
   * `next` resumes there (a page may then hold fewer than `limit` deliveries, even none, with a `next`).
   */
  async list(query: DeliveryQuery): Promise<DeliveryPage> {
    const { first, last } = idRangeOf(query.from, query.to);
    const upper = query.cursor !== undefined && query.cursor < last ? query.cursor : last;
    if (upper < first) return { items: [] };
    const partitions = indexPartitions(this.options.shards);
    const share = Math.max(1, Math.floor(this.options.maxItemsRead / partitions.length));
    const shards = await Promise.all(
      partitions.map((partition) => this.readShard(partition, first, upper, query, share)),
    );
    const page = this.pageOf(shards, query.limit);
    const guards = runGuardsOf(page.items);
    if (guards.length === 0) return page;
    const named = await this.guardedRuns(guards);
    const now = this.now();
    return { ...page, items: page.items.map((item) => withGuardedRuns(item, named, now)) };
  }

  /** The page the shards' reads make (see `list`), before its guarded runs are read. */
  private pageOf(
    shards: readonly { items: DeliverySummary[]; more: boolean; stoppedAt?: string }[],
    limit: number,
  ): DeliveryPage {
    const stops = shards.flatMap((shard) => (shard.stoppedAt === undefined ? [] : [shard.stoppedAt]));
    if (stops.length === 0) return mergeNewestFirst(shards, limit);
    const frontier = stops.reduce((highest, stop) => (stop > highest ? stop : highest));
    const page = mergeNewestFirst(
      shards.map((shard) => ({ items: shard.items.filter((item) => item.id >= frontier), more: true })),
      limit,
    );
    // A full page's own `next` (its last id, above the frontier) loses nothing; a short one resumes at the frontier.
    return page.items.length === limit ? page : { items: page.items, next: frontier };
  }

  private async readShard(
    partition: string,
    first: string,
    upper: string,
    query: DeliveryQuery,
    budget: number,
  ): Promise<{ items: DeliverySummary[]; more: boolean; stoppedAt?: string }> {
    const items: DeliverySummary[] = [];
    const now = this.now();
    let read = 0;
    let ExclusiveStartKey: Record<string, AttributeValue> | undefined;
    do {
      // Limit counts the items read (no FilterExpression here: filtering costs the same read units either way).
      // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Query.Pagination.html
      const page: QueryCommandOutput = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: DELIVERIES_INDEX,
          KeyConditionExpression: '#dPk = :dPk AND #dSk BETWEEN :first AND :upper',
          ExpressionAttributeNames: {
            '#dPk': deliveriesIndexSchema.partitionKey,
            '#dSk': deliveriesIndexSchema.sortKey,
          },
          ExpressionAttributeValues: marshall({ ':dPk': partition, ':first': first, ':upper': upper }),
          ScanIndexForward: false,
          Limit: Math.min(budget - read, Math.max(query.limit + 1, 25)),
          ExclusiveStartKey,
        }),
      );
      for (const raw of page.Items ?? []) {
        read += 1;
        const summary = summaryOfItem(unmarshall(raw));
        if (summary.id === query.cursor || summary.expiresAt * 1000 <= now) continue;
        if (matches(summary, query)) items.push(summary);
      }
      ExclusiveStartKey = page.LastEvaluatedKey;
      if (items.length > query.limit) return { items, more: true };
    } while (ExclusiveStartKey !== undefined && read < budget);
    if (ExclusiveStartKey === undefined) return { items, more: false };
    // Out of budget with more to read: everything at or above the last id read has been seen.
    return { items, more: true, stoppedAt: String(unmarshall(ExclusiveStartKey)[deliveriesIndexSchema.sortKey]) };
  }
}

function summaryOfItem(item: Record<string, unknown>): DeliverySummary {
  const summary: Record<string, unknown> = { id: item[deliveriesIndexSchema.sortKey] };
  for (const name of deliveriesIndexSchema.projected) if (item[name] !== undefined) summary[name] = item[name];
  summary.runs ??= [];
  return summary as unknown as DeliverySummary;
}

/**
 * A record read off its item (its own `dlv#` item or its claim): the claim's own attributes are left out. `apiKeyId`
 * is on the item, not in the index (a replay needs it, a list does not).
 */
export function recordOf(item: Record<string, unknown>): DeliveryRecord {
  const { bodyBytes: _bytes, ...summary } = summaryOfItem(item);
  return {
    ...summary,
    ...(typeof item.apiKeyId === 'string' ? { apiKeyId: item.apiKeyId } : {}),
    headers: (item.headers ?? {}) as Record<string, string>,
    body: item.body as DeliveryRecord['body'],
  } as DeliveryRecord;
}
