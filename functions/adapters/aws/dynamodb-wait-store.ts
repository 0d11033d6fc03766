import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import * as z from '../../core/zod';
import type { BeginningWait, EarlyCallback, TaskClaim, WaitStore, WaitingTask } from '../../core/ports';
import { putUnlessLive } from './put-unless-live';
import { waitKey } from './registry-items';
import { refusedEveryAttempt } from './unanswered';
import { EngineBusyError } from '../../core/outcomes';

/** What the wait-for-event function wrote for a waiting task (beginWait), or an early callback kept here. */
const waitItemSchema = z.object({
  taskToken: z.optional(z.string().check(z.minLength(1))),
  executionArn: z.optional(z.string()),
  enteredTime: z.optional(z.string()),
  stateEnteredTime: z.optional(z.string()),
  timeoutSeconds: z.optional(z.coerce.number().check(z.positive())),
  retryWritesBy: z.optional(z.coerce.number()),
  status: z._default(z.enum(['WAITING', 'CLAIMED', 'RESUMED', 'EXPIRED', 'EARLY']), 'WAITING'),
  resumedBy: z.optional(z.string()),
  claimOwner: z.optional(z.string()),
  leaseUntil: z.optional(z.coerce.number()),
  expiresAtIso: z.optional(z.string()),
});

/** Waiting tasks in the dedupe table, claimed with a conditional update so only one callback resumes each. */
export class DynamoDbWaitStore implements WaitStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  async get(ref: string, topic: string): Promise<WaitingTask | undefined> {
    const { Item } = await this.client.send(
      new GetItemCommand({ TableName: this.tableName, Key: marshall(waitKey(ref, topic)), ConsistentRead: true }),
    );
    if (Item === undefined) return undefined;
    const parsed = waitItemSchema.safeParse(unmarshall(Item));
    if (!parsed.success) throw new Error(`wait item for ${ref}/${topic} is malformed`);
    const item = parsed.data;
    if (item.status !== 'EARLY' && (item.taskToken === undefined || item.enteredTime === undefined)) {
      // An early callback the workflow took: RESUMED, with no token of its own.
      if (item.status === 'RESUMED') return { ref, topic, ...item };
      throw new Error(`wait item for ${ref}/${topic} has no task token`);
    }
    return { ref, topic, ...item };
  }

  /**
   * (Each condition below is a rule of functions/styles/events/wait-rules.ts, named beside it; the contract test
   * test/unit/adapters/wait-store-contract.test.ts runs the same cases through this store and the in-memory one.)
   * WAITING (or a CLAIMED whose lease ended: its claimer died) -> CLAIMED by `owner` until `leaseUntil`. The
   * lease is checked in the condition, so of two deliveries taking over a dead claim exactly one wins.
   */
  async claim(ref: string, topic: string, claim: TaskClaim): Promise<boolean> {
    return this.update(ref, topic, {
      condition:
        'taskToken = :token AND (attribute_not_exists(#s) OR #s = :waiting OR (#s = :claimed AND leaseUntil <= :now))',
      set:
        'SET #s = :claimed, claimOwner = :owner, leaseUntil = :leaseUntil' +
        (claim.eventId === undefined ? ' REMOVE resumedBy' : ', resumedBy = :by'),
      values: {
        ':waiting': 'WAITING',
        ':claimed': 'CLAIMED',
        ':now': claim.now,
        ':token': claim.taskToken,
        ':owner': claim.owner,
        ':leaseUntil': claim.leaseUntil,
        ...(claim.eventId === undefined ? {} : { ':by': claim.eventId }),
      },
    });
  }

  async confirm(ref: string, topic: string, owner: string, eventId?: string): Promise<boolean> {
    return this.update(ref, topic, {
      condition: '#s = :claimed AND claimOwner = :owner',
      set: `SET #s = :resumed, expiresAt = :expiresAt${eventId === undefined ? ' REMOVE resumedBy' : ', resumedBy = :by'}`,
      values: {
        ':claimed': 'CLAIMED',
        ':resumed': 'RESUMED',
        ':owner': owner,
        ':expiresAt': keptADay(),
        ...(eventId === undefined ? {} : { ':by': eventId }),
      },
    });
  }

  async keepEarly(ref: string, topic: string, callback: EarlyCallback, now: number): Promise<boolean> {
    // Nothing there, or only an expired leftover: a waiting task's item lives until its timeout plus
    // WAIT_ITEM_GRACE_SECONDS (then it is as good as deleted by TTL).
    return putUnlessLive(this.client, this.tableName, { ...waitKey(ref, topic), ...earlyAttributes(callback) }, now);
  }

  async beginWait(wait: BeginningWait, now: number): Promise<boolean> {
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: marshall({
            ...waitKey(wait.ref, wait.topic),
            status: 'WAITING',
            taskToken: wait.taskToken,
            executionArn: wait.executionArn,
            enteredTime: wait.enteredTime,
            ...(wait.stateEnteredTime === undefined ? {} : { stateEnteredTime: wait.stateEnteredTime }),
            ...(wait.retryWritesBy === undefined ? {} : { retryWritesBy: wait.retryWritesBy }),
            timeoutSeconds: wait.timeoutSeconds,
            // The dedupe table's TTL attribute (table-schemas.ts), in epoch seconds as DynamoDB's TTL requires; it
            // deletes typically within two days of expiry, hence the conditions check expiry themselves
            // (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateTimeToLive.html).
            expiresAt: wait.expiresAt,
          }),
          // (rules: mayBeginWait) A live early callback is kept out of the way: the wait takes it instead
          // (takeEarly). Items written before waits had a status count as waiting, not early. TTL deletes late:
          // expiry is checked here. This very token in a callback's hands stays: only the SDK's retry of this put
          // (an attempt that landed, its answer lost) meets it. So does a wait stored later than this one: only a put
          // that landed after its attempt gave it up meets that. ISO 8601 times of one format compare as strings:
          // DynamoDB compares strings "based on ASCII character code values"
          // (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_Condition.html); the contract test
          // pins it on DynamoDB Local.
          ConditionExpression:
            'attribute_not_exists(pk) OR ((attribute_not_exists(#s) OR #s <> :early OR expiresAt < :now) AND ' +
            '(attribute_not_exists(taskToken) OR taskToken <> :token OR attribute_not_exists(#s) OR #s = :waiting) AND ' +
            '(attribute_not_exists(enteredTime) OR enteredTime <= :entered))',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: marshall({
            ':early': 'EARLY',
            ':now': Math.floor(now / 1000),
            ':token': wait.taskToken,
            ':waiting': 'WAITING',
            ':entered': wait.enteredTime,
          }),
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async takeEarly(
    ref: string,
    topic: string,
    taker: { readonly executionArn: string; readonly now: number; readonly retainUntil: number },
  ): Promise<EarlyCallback | undefined> {
    try {
      const { Attributes } = await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: marshall(waitKey(ref, topic)),
          // The same expiry boundary as beginWait's condition: what it refused as live, this can take.
          ConditionExpression: '#s = :early AND expiresAt >= :now',
          UpdateExpression: 'SET #s = :resumed, expiresAt = :retain, executionArn = :arn',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: marshall({
            ':early': 'EARLY',
            ':resumed': 'RESUMED',
            ':now': Math.floor(taker.now / 1000),
            ':retain': taker.retainUntil,
            ':arn': taker.executionArn,
          }),
          // The callback as it was kept: returnEarly can restore it exactly.
          ReturnValues: 'ALL_OLD',
        }),
      );
      return earlyCallbackOf(unmarshall(Attributes ?? {}));
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        // The SDK retried an attempt that got no answer (./unanswered.ts): that attempt may have taken the callback,
        // and this one was refused because it had. Answering "none live" would let the wait's next put replace the
        // callback unseen; failing says the take's outcome is unknown, and the task fails rather than lose it.
        if (!refusedEveryAttempt(error)) {
          throw new EngineBusyError('the early callback may have been taken by an attempt that got no answer');
        }
        return undefined;
      }
      throw error;
    }
  }

  async returnEarly(ref: string, topic: string, callback: EarlyCallback): Promise<void> {
    // A failed condition: something else replaced it meanwhile (a new wait), nothing to give back to.
    await this.update(ref, topic, {
      condition: '#s = :resumed',
      set: 'SET #s = :early, expiresAt = :expiresAt REMOVE executionArn',
      values: {
        ':resumed': 'RESUMED',
        ':early': 'EARLY',
        ':expiresAt': Math.floor(callback.expiresAt.getTime() / 1000),
      },
    });
  }

  async keepEarlyInstead(ref: string, topic: string, owner: string, callback: EarlyCallback): Promise<boolean> {
    // The claim still held (rules: holdsClaim) means the item still holds the claimed token: a retry's put writes a
    // whole new item, without a claim. The result is the item keepEarly writes (earlyAttributes, each set through a
    // name placeholder); what belonged to the dead token goes, and resumedBy too when the callback has no id.
    const set = Object.entries(earlyAttributes(callback)).filter(([, value]) => value !== undefined);
    const gone = ['taskToken', 'executionArn', 'enteredTime', 'stateEnteredTime', 'timeoutSeconds', 'retryWritesBy'];
    gone.push('claimOwner', 'leaseUntil', ...(callback.eventId === undefined ? ['resumedBy'] : []));
    return this.update(ref, topic, {
      condition: '#s = :claimed AND claimOwner = :owner',
      set: `SET ${set.map((_, n) => `#e${n} = :e${n}`).join(', ')} REMOVE ${gone.join(', ')}`,
      names: Object.fromEntries(set.map(([name], n) => [`#e${n}`, name])),
      values: {
        ':claimed': 'CLAIMED',
        ':owner': owner,
        ...Object.fromEntries(set.map(([, value], n) => [`:e${n}`, value])),
      },
    });
  }

  async release(ref: string, topic: string, owner: string): Promise<void> {
    await this.update(ref, topic, {
      condition: '#s = :claimed AND claimOwner = :owner',
      set: 'SET #s = :waiting REMOVE claimOwner, leaseUntil, resumedBy',
      values: { ':claimed': 'CLAIMED', ':waiting': 'WAITING', ':owner': owner },
    });
  }

  async markExpired(ref: string, topic: string, taskToken: string): Promise<boolean> {
    return this.update(ref, topic, {
      // Only the wait whose token died: a retry of the wait task may have written its own token over it.
      condition: '(attribute_not_exists(#s) OR #s IN (:waiting, :claimed, :resumed)) AND taskToken = :token',
      set: 'SET #s = :expired, expiresAt = :expiresAt',
      values: {
        ':token': taskToken,
        ':waiting': 'WAITING',
        ':claimed': 'CLAIMED',
        ':resumed': 'RESUMED',
        ':expired': 'EXPIRED',
        ':expiresAt': keptADay(),
      },
    });
  }

  /** One conditional update of the wait item (which must exist); false when the condition failed. */
  private async update(
    ref: string,
    topic: string,
    change: { condition: string; set: string; names?: Record<string, string>; values: Record<string, unknown> },
  ): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: marshall(waitKey(ref, topic)),
          // Written by the workflow without a status: absent means waiting.
          ConditionExpression: `attribute_exists(pk) AND ${change.condition}`,
          UpdateExpression: change.set,
          ExpressionAttributeNames: { '#s': 'status', ...change.names },
          ExpressionAttributeValues: marshall(change.values),
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}

/** An EARLY item's attributes, as keepEarly and keepEarlyInstead write them and earlyCallbackOf reads them back. */
function earlyAttributes(callback: EarlyCallback): Record<string, string | number | undefined> {
  return {
    status: 'EARLY',
    callbackStatus: callback.callbackStatus,
    // JSON text, as kept; the wait that takes it parses it back.
    output: JSON.stringify(callback.output ?? null),
    resumedBy: callback.eventId,
    expiresAt: Math.floor(callback.expiresAt.getTime() / 1000),
    // What deliverCallback compares to the millisecond (expiresAt, in seconds, is the TTL attribute).
    expiresAtIso: callback.expiresAt.toISOString(),
  };
}

/** A finished wait item is kept a day, for a late duplicate callback to get 409 rather than 404; then TTL removes it. */
const keptADay = () => Math.floor(Date.now() / 1000) + 24 * 60 * 60;

const earlyItemSchema = z.object({
  callbackStatus: z.enum(['succeeded', 'failed']),
  output: z.string(),
  resumedBy: z.optional(z.string()),
  expiresAt: z.number(),
});

/** An EARLY item as keepEarly wrote it. */
function earlyCallbackOf(item: Record<string, unknown>): EarlyCallback {
  const parsed = earlyItemSchema.safeParse(item);
  if (!parsed.success) throw new Error('early callback item is malformed');
  return {
    callbackStatus: parsed.data.callbackStatus,
    output: JSON.parse(parsed.data.output) as unknown,
    ...(parsed.data.resumedBy === undefined ? {} : { eventId: parsed.data.resumedBy }),
    expiresAt: new Date(parsed.data.expiresAt * 1000),
  };
}
