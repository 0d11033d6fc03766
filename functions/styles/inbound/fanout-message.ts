import * as z from 'zod';

/** What the inbound handler queues for each batch item, and the fan-out worker reads back. */
export const fanoutMessageSchema = z.object({
  v: z.literal(1),
  runRef: z.string(),
  dedupeKey: z.string(),
  target: z.object({
    stateMachineArn: z.string().startsWith('arn:'),
    workflowType: z.enum(['EXPRESS', 'STANDARD']),
  }),
  input: z.unknown(),
});

export type FanoutMessage = z.infer<typeof fanoutMessageSchema>;

/** uid dedupe answers every repeat with the first run, whatever its body: the uid is the request's identity. */
export const UID_FINGERPRINT = 'inbound-uid';
