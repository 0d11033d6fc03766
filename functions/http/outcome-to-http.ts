import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { DomainError, OutcomeKind } from '../core/outcomes';
import { jsonResponse } from './responses';

/**
 * The one map from domain outcomes to HTTP answers (Outpost's error-handler middleware in one table). A
 * `Record` over every kind, so a new outcome does not compile until it has a status here.
 */
export const HTTP_STATUS: Readonly<Record<OutcomeKind, number>> = {
  'invalid-input': 400,
  unauthorized: 401,
  forbidden: 403,
  'not-found': 404,
  conflict: 409,
  duplicate: 409,
  'in-progress': 409,
  gone: 410,
  'too-large': 413,
  'unsupported-content': 415,
  'key-reused': 422,
  'engine-busy': 503,
  'partial-failure': 503,
};

/** `{ "error": message }` (plus a partial failure's accepted parts) with its status and any Retry-After. */
export function httpAnswerOf(outcome: DomainError): APIGatewayProxyStructuredResultV2 {
  const headers: Record<string, string> =
    outcome.retryAfterSeconds === undefined ? {} : { 'retry-after': String(outcome.retryAfterSeconds) };
  const extra = 'accepted' in outcome ? (outcome.accepted as Record<string, unknown>) : {};
  return jsonResponse(HTTP_STATUS[outcome.kind], { error: outcome.message, ...extra }, headers);
}
