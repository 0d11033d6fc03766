import * as z from '../zod';
import type { DeliveryRecord } from '../deliveries/record';

/**
 * What the inbound handler queues for each batch item, and what a style queues for a start the engine was too busy
 * to make (docs/deliveries.md, "Queue when busy"); the fan-out worker reads it back. A batch item and a keyed single
 * inbound request carry `runRef` and `dedupeKey`, so the worker's start and a sender's retry claim the same key: one
 * run between them. An unkeyed one carries `naming` instead (its delivery), so both starts ask for the same execution
 * name. A registered webhook's process carries `name`, its execution name, fixed (with the process record) before
 * its first start: every start of it asks for that name.
 */
export const fanoutMessageSchema = z.object({
  v: z.literal(1),
  /** The style that queued it (absent: inbound), for the logs. */
  style: z.optional(z.enum(['inbound', 'registered-webhooks', 'events', 'client-webhook', 'flow-trigger'])),
  /** An execution name fixed when the start was first tried: started under it as is (a Standard workflow). */
  name: z.optional(z.string()),
  runRef: z.optional(z.string()),
  dedupeKey: z.optional(z.string()),
  /** The claim's fingerprint, when it is not inbound's uid (`inbound-uid`): an Idempotency-Key's (events, client webhooks). */
  fingerprint: z.optional(z.string()),
  naming: z.optional(z.object({ key: z.string(), createdAt: z.number() })),
  /** A queued single request: its delivery record (`queued`) is marked started with the run once it starts. */
  deliveryId: z.optional(z.string()),
  /**
   * The delivery's record as the worker writes it if the handler never did (Delivery.rebuilt: it died after sending
   * this, before its answer). Present only when the record is an item of its own, not carried by a kept claim.
   */
  record: z.optional(
    z.custom<DeliveryRecord>(
      (value) => typeof value === 'object' && value !== null && typeof (value as { id?: unknown }).id === 'string',
    ),
  ),
  target: z.object({
    stateMachineArn: z.string().check(z.startsWith('arn:')),
    workflowType: z.enum(['EXPRESS', 'STANDARD']),
  }),
  input: z.unknown(),
  /** How many times the worker has sent this item back to the queue because the engine was busy. */
  busyRequeues: z.optional(z.number().check(z.int(), z.nonnegative())),
});

export type FanoutMessage = z.infer<typeof fanoutMessageSchema>;

/** uid dedupe answers every repeat with the first run, whatever its body: the uid is the request's identity. */
export const UID_FINGERPRINT = 'inbound-uid';

/**
 * Characters an SQS message body may hold: #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD |
 * #x10000 to #x10FFFF; SQS refuses any other with InvalidMessageContents
 * (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html).
 * Matched per code point (`u`), so a valid surrogate pair is one allowed character.
 */
const OUTSIDE_SQS_CHARACTERS = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

/**
 * The message as JSON text SQS accepts, whatever JSON the item holds. JSON.stringify already escapes control
 * characters and lone surrogates; what is left outside SQS's set (U+FFFE, U+FFFF) can only stand inside a JSON
 * string, where `\uXXXX` is the same character: the worker's JSON.parse gives back the very same value.
 */
export function encodeFanoutMessage(message: FanoutMessage): string {
  return JSON.stringify(message).replace(
    OUTSIDE_SQS_CHARACTERS,
    (character) => `\\u${character.codePointAt(0)!.toString(16).padStart(4, '0')}`,
  );
}
