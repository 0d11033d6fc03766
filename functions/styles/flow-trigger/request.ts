import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import * as z from '../../core/zod';
import { presentedApiKey } from '../../core/auth/api-keys';
import { InvalidInputError } from '../../core/outcomes';
import { describeInvalid } from '../../core/invalid-input';
import { header, parseJsonObject, rawBody, signedRequestOf } from '../../http/request';
import type { SignedRequest } from '../../core/verify/verify-signature';

const flowIdSchema = z
  .string()
  .check(z.regex(/^[A-Za-z0-9._-]{1,128}$/, 'flow id must be 1-128 letters, digits, ".", "_" or "-"'));

/** Printable ASCII, as Stripe and the IETF Idempotency-Key draft expect. */
const idempotencyKeySchema = z
  .string()
  .check(z.regex(/^[\x21-\x7e]{1,255}$/, 'Idempotency-Key must be 1-255 printable ASCII characters'));

export interface FlowTriggerRequest {
  readonly flowId: string;
  readonly payload: Record<string, unknown>;
  readonly body: Buffer;
  readonly contentType: string | undefined;
  readonly apiKey: string | undefined;
  readonly idempotencyKey: string | undefined;
  /** What a flow's optional verifier checks. */
  readonly signed: SignedRequest;
}

/** POST /flows/{flowId}/trigger: any JSON object body, an API key, an optional Idempotency-Key. */
export function parseFlowTriggerRequest(event: APIGatewayProxyEventV2, maxBodyBytes: number): FlowTriggerRequest {
  const flowId = flowIdSchema.safeParse(event.pathParameters?.flowId);
  if (!flowId.success) throw new InvalidInputError(describeInvalid(flowId.error, event.pathParameters?.flowId));

  const rawIdempotencyKey = header(event, 'idempotency-key');
  const idempotencyKey =
    rawIdempotencyKey === undefined ? undefined : idempotencyKeySchema.safeParse(rawIdempotencyKey);
  if (idempotencyKey !== undefined && !idempotencyKey.success) {
    throw new InvalidInputError(describeInvalid(idempotencyKey.error, rawIdempotencyKey));
  }

  const body = rawBody(event, maxBodyBytes);
  return {
    flowId: flowId.data,
    payload: parseJsonObject(body),
    body,
    contentType: header(event, 'content-type'),
    apiKey: presentedApiKey(event.headers),
    idempotencyKey: idempotencyKey?.data,
    signed: signedRequestOf(event, body),
  };
}
