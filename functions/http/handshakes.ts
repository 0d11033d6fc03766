import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { VerifierConfig } from '../core/verify/verifier-config';

/**
 * Subscription handshakes some senders make before sending events. They start no run. Slack's is signed like
 * any Slack request, so it is answered only after verification; Microsoft Graph's validation request carries no
 * signature, so it is answered only for registrations whose verifier is `microsoft-graph`, and only with the
 * token as plain text (never reflected as HTML), as Graph requires within 10 seconds.
 */
export function graphValidation(
  config: VerifierConfig,
  query: Readonly<Record<string, string | undefined>> | undefined,
): APIGatewayProxyStructuredResultV2 | undefined {
  const token = query?.validationToken;
  if (config.kind !== 'microsoft-graph' || token === undefined) return undefined;
  if (token.length === 0 || token.length > 1024 || /[\u0000-\u001f]/.test(token)) {
    return {
      statusCode: 400,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ error: 'validationToken must be 1-1024 printable characters' }),
    };
  }
  return {
    statusCode: 200,
    headers: { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' },
    body: token,
  };
}

/** Slack's `url_verification` (after the request verified): answer its challenge. */
export function slackUrlVerification(
  config: VerifierConfig,
  body: unknown,
): APIGatewayProxyStructuredResultV2 | undefined {
  if (config.kind !== 'slack' || body === null || typeof body !== 'object') return undefined;
  const { type, challenge } = body as { type?: unknown; challenge?: unknown };
  if (type !== 'url_verification' || typeof challenge !== 'string') return undefined;
  return {
    statusCode: 200,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ challenge }),
  };
}
