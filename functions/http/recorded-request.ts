import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { DeliveryRecord } from '../core/deliveries/record';
import { REDACTED } from '../core/deliveries/record';

/**
 * A recorded delivery as the payload-2.0 event its style's parser takes, so that a replay parses the kept raw
 * body with the style's own parser (functions/styles/<style>/replay.ts), never a copy of it. Redacted headers
 * (credentials) are left out: the style never passed them to a run either.
 */
export function eventOfRecord(
  record: DeliveryRecord,
  raw: Buffer,
  pathParameters: Readonly<Record<string, string>>,
  extraQuery: Readonly<Record<string, string>> = {},
): APIGatewayProxyEventV2 {
  const [rawPath = record.path, rawQuery = ''] = record.path.split('?', 2);
  const query = new URLSearchParams(rawQuery);
  for (const [name, value] of Object.entries(extraQuery)) if (!query.has(name)) query.set(name, value);
  const queryStringParameters: Record<string, string> = {};
  // API Gateway's payload 2.0 joins a repeated parameter's values with commas.
  for (const name of new Set(query.keys())) queryStringParameters[name] = query.getAll(name).join(',');
  const headers = Object.fromEntries(Object.entries(record.headers).filter(([, value]) => value !== REDACTED));
  const routeKey = `${record.method} ${rawPath}`;
  return {
    version: '2.0',
    routeKey,
    rawPath,
    rawQueryString: query.toString(),
    headers,
    queryStringParameters,
    pathParameters: { ...pathParameters },
    requestContext: {
      accountId: 'replay',
      apiId: 'replay',
      domainName: 'replay',
      domainPrefix: 'replay',
      http: { method: record.method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: '', userAgent: '' },
      requestId: record.id,
      routeKey,
      stage: '$default',
      time: record.receivedAt,
      timeEpoch: Date.parse(record.receivedAt),
    },
    body: raw.toString('base64'),
    isBase64Encoded: true,
  };
}
