import { randomUUID } from 'node:crypto';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { deliveriesIndexSchema } from '../../functions/adapters/aws/table-schemas';
import { deliveryItemKey } from '../../functions/adapters/aws/dynamodb-delivery-log';
import { compositeKey } from '../../functions/core/keys';
import { localClientConfig, request } from '../../test/support/local-stack';
import { jsonOfSize } from '../lib/in-process';
import { indexEntry, type Item, itemBytes, writeUnits } from '../lib/item-size';
import { log } from '../lib/log';
import { round } from '../lib/stats';
import { paired, type PairedResult } from '../lib/paired';
import { type BenchStack, UNRECORDED_FLOW } from '../lib/stack';
import { gatewayCalls } from './aws-calls';

/** DELIVERY_INLINE_BODY_BYTES's default (functions/core/config.ts): a body up to it is kept on the record. */
export const INLINE_BODY_BYTES = 4_096;
/** DELIVERY_RETENTION_DAYS's default (functions/core/config.ts). */
export const RETENTION_DAYS = 7;

export const DELIVERIES_SETTINGS = { pairs: 300, warmup: 30, callRequests: 20, bodyBytes: 1_024 } as const;

/** One side of a comparison: a flow trigger as a sender sends it. */
export interface Request {
  readonly flow: string;
  readonly keyed: boolean;
  readonly bodyBytes: number;
}

/** What one delivery writes to DynamoDB, from the item it left (read back after a request) and its calls. */
export interface WrittenItem {
  /** The item's size as DynamoDB bills a write of it. */
  readonly bytes: number;
  readonly writeUnits: number;
  /** Its entry in the `deliveries` index, when it has the index's keys (a record does, a plain claim not). */
  readonly indexBytes?: number;
  readonly indexWriteUnits: number;
}

export interface DeliveriesSide {
  readonly label: string;
  readonly request: Request;
  /** AWS calls per request through the gateway (the stack process's call counter). */
  readonly calls: Record<string, number>;
  /** The DynamoDB item the request leaves (its record, or its plain claim), when it leaves one. */
  readonly item?: WrittenItem;
  /** Write request units per request: every PutItem and UpdateItem of the item, plus its index entry's write. */
  readonly writeUnitsPerRequest: number;
}

export interface DeliveriesComparison {
  readonly name: string;
  readonly description: string;
  readonly a: DeliveriesSide;
  readonly b: DeliveriesSide;
  /** Request latency through the gateway (wall ms, sender's side), A then B alternating. */
  readonly latency: PairedResult;
}

export interface DeliveriesResult {
  readonly settings: typeof DELIVERIES_SETTINGS & { readonly inlineBodyBytes: number; readonly retentionDays: number };
  readonly comparisons: DeliveriesComparison[];
}

/**
 * Write units one request costs. The item it leaves is written by one PutItem (the record, or the claim carrying it)
 * and each UpdateItem (a keyed Express claim's, naming its run): each bills the item's size, an UpdateItem the larger
 * of the item before and after (here the after, which only adds the run:
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/read-write-operations.html#write-operation-consumption),
 * and each such write of an item carrying the
 * index's keys writes its index entry too, `runs` being projected
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GSI.html#GSI.ThroughputConsiderations.Writes).
 * Any other PutItem is another item's, under 1 KB: the Express run guard's `run#` item, which the workflow writes
 * from the local Step Functions endpoint's process (workflows/express-run-guard.ts), the same on both sides.
 */
export function writeUnitsPerRequest(calls: Record<string, number>, item: WrittenItem | undefined): number {
  const puts = calls['DynamoDB.PutItem'] ?? 0;
  const updates = calls['DynamoDB.UpdateItem'] ?? 0;
  if (item === undefined) return round(puts + updates, 3);
  const itemWrites = 1 + updates;
  const others = Math.max(0, puts - 1);
  return round(itemWrites * (item.writeUnits + item.indexWriteUnits) + others, 3);
}

export function writtenItem(item: Item): WrittenItem {
  const entry = indexEntry(
    item,
    ['pk'],
    [deliveriesIndexSchema.partitionKey, deliveriesIndexSchema.sortKey],
    deliveriesIndexSchema.projected,
  );
  const bytes = itemBytes(item);
  const indexBytes = entry === undefined ? undefined : itemBytes(entry);
  return {
    bytes,
    writeUnits: writeUnits(bytes),
    ...(indexBytes === undefined ? {} : { indexBytes }),
    indexWriteUnits: indexBytes === undefined ? 0 : writeUnits(indexBytes),
  };
}

const describe = (r: Request) =>
  `${r.flow}, ${r.keyed ? 'Idempotency-Key' : 'no key'}, ${r.bodyBytes} B body${r.flow === UNRECORDED_FLOW ? ' (recordDeliveries: false)' : ''}`;

function sender(stack: BenchStack, r: Request) {
  const body = jsonOfSize(r.bodyBytes);
  return async (key?: string) => {
    const answer = await request(`${stack.url}/flows/${r.flow}/trigger`, {
      method: 'POST',
      headers: {
        authorization: 'Bearer hf_local_dev_key',
        'content-type': 'application/json',
        ...(r.keyed ? { 'idempotency-key': key ?? `bench-dlv-${randomUUID()}` } : {}),
      },
      body,
    });
    if (answer.status !== 202) throw new Error(`${describe(r)} answered ${answer.status}: ${answer.text}`);
    return answer;
  };
}

/** Sends one request and reads back the item it left: its own record (`dlv#<id>`) or its claim. */
async function itemLeft(stack: BenchStack, dynamodb: DynamoDBClient, r: Request): Promise<WrittenItem | undefined> {
  const key = `bench-dlv-${randomUUID()}`;
  const answer = await sender(stack, r)(key);
  const id = answer.headers.get('hookflow-delivery-id');
  const pk = r.keyed
    ? compositeKey('flow-trigger', r.flow, 'local-dev', key)
    : id === null
      ? undefined
      : deliveryItemKey(id);
  if (pk === undefined) return undefined;
  // A moment for any write that lands after the answer, so the item read back is the one the request left.
  await new Promise((resolve) => setTimeout(resolve, 200));
  const { Item } = await dynamodb.send(
    new GetItemCommand({ TableName: 'hookflow-dedupe', Key: { pk: { S: pk } }, ConsistentRead: true }),
  );
  return Item === undefined ? undefined : writtenItem(Item);
}

async function side(stack: BenchStack, dynamodb: DynamoDBClient, label: string, r: Request): Promise<DeliveriesSide> {
  const calls = await gatewayCalls(stack, DELIVERIES_SETTINGS.callRequests, r.keyed, r.flow, jsonOfSize(r.bodyBytes));
  const item = await itemLeft(stack, dynamodb, r);
  return {
    label,
    request: r,
    calls,
    ...(item === undefined ? {} : { item }),
    writeUnitsPerRequest: writeUnitsPerRequest(calls, item),
  };
}

async function compare(
  stack: BenchStack,
  dynamodb: DynamoDBClient,
  name: string,
  description: string,
  [labelA, a]: [string, Request],
  [labelB, b]: [string, Request],
): Promise<DeliveriesComparison> {
  const { pairs, warmup } = DELIVERIES_SETTINGS;
  log('deliveries', `${name}: ${pairs} pairs (+${warmup} warm-up), A = ${describe(a)}, B = ${describe(b)}`);
  const sendA = sender(stack, a);
  const sendB = sender(stack, b);
  const latency = await paired(
    async () => {
      await sendA();
    },
    async () => {
      await sendB();
    },
    { pairs, warmup },
  );
  log(
    'deliveries',
    `  latency median A ${latency.medianA.toFixed(2)} ms, B ${latency.medianB.toFixed(2)} ms: ×${latency.ratio.toFixed(3)} (median pair ratio ×${latency.medianPairRatio.toFixed(3)})`,
  );
  const sideA = await side(stack, dynamodb, labelA, a);
  const sideB = await side(stack, dynamodb, labelB, b);
  log('deliveries', `  calls A ${JSON.stringify(sideA.calls)}, item ${JSON.stringify(sideA.item)}`);
  log('deliveries', `  calls B ${JSON.stringify(sideB.calls)}, item ${JSON.stringify(sideB.item)}`);
  return { name, description, a: sideA, b: sideB, latency };
}

/**
 * 7. Delivery recording (issue 19 item 1): flow triggers through the local stack's gateway to `hello` (recorded)
 * and to UNRECORDED_FLOW (the same workflow, recordDeliveries: false), A, B, A, B …, unkeyed and keyed; and a
 * recorded body just over DELIVERY_INLINE_BODY_BYTES (kept in S3: one PutObject) against one at the limit (kept
 * inline, base64). Measured: latency (sender's wall time), AWS calls per request, the items left (their sizes as
 * DynamoDB bills them, computed from the item read back). The cost part prices them.
 */
export async function runDeliveries(stack: BenchStack): Promise<DeliveriesResult> {
  const dynamodb = new DynamoDBClient(localClientConfig(stack.dynamodbEndpoint));
  const bodyBytes: number = DELIVERIES_SETTINGS.bodyBytes;
  const recorded = (keyed: boolean, body: number = bodyBytes): Request => ({ flow: 'hello', keyed, bodyBytes: body });
  const unrecorded = (keyed: boolean): Request => ({ flow: UNRECORDED_FLOW, keyed, bodyBytes });
  try {
    const specs: [string, string, [string, Request], [string, Request]][] = [
      [
        'unkeyed',
        'no Idempotency-Key: the record is an item of its own (one PutItem)',
        ['recorded', recorded(false)],
        ['not recorded', unrecorded(false)],
      ],
      [
        'keyed',
        'Idempotency-Key: the claim carries the record (no extra call, a larger item and its index entry)',
        ['recorded', recorded(true)],
        ['not recorded', unrecorded(true)],
      ],
      [
        'body over the inline limit',
        `unkeyed, recorded: a ${INLINE_BODY_BYTES + 1}-byte body (S3, one PutObject) against a ${INLINE_BODY_BYTES}-byte one (inline)`,
        [`${INLINE_BODY_BYTES + 1} B body`, recorded(false, INLINE_BODY_BYTES + 1)],
        [`${INLINE_BODY_BYTES} B body`, recorded(false, INLINE_BODY_BYTES)],
      ],
    ];
    const comparisons: DeliveriesComparison[] = [];
    for (const [name, description, a, b] of specs) {
      comparisons.push(await compare(stack, dynamodb, name, description, a, b));
    }
    return {
      settings: { ...DELIVERIES_SETTINGS, inlineBodyBytes: INLINE_BODY_BYTES, retentionDays: RETENTION_DAYS },
      comparisons,
    };
  } finally {
    dynamodb.destroy();
  }
}
