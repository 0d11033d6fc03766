/*
 * Reference H of bench/support/sdk-alternatives.ts, not a client: the transport alone. node:https with a
 * keep-alive Agent at load; the "first call" is one unsigned JSON POST to the DynamoDB endpoint over TLS, its
 * answer parsed (dynalite refuses it: no signature). A client's first call can hardly cost less. Its load is no
 * floor: variant A, which loads node:https and more, measured about 2 ms (0.1x) under it in every run, also with
 * A and H alternated; the order in which Node loads its built-ins moves that much (`require('crypto')` before
 * `require('node:https')` measured 1.6-3 ms under node:https alone, in otherwise empty processes).
 */
import https from 'node:https';

const agent = new https.Agent({ keepAlive: true });

export const ready = undefined;

export function putItem(table: string, pk: string): Promise<unknown> {
  const url = new URL(process.env.AWS_ENDPOINT_URL_DYNAMODB ?? 'https://dynamodb.us-east-1.amazonaws.com');
  const body = JSON.stringify({ TableName: table, Item: { pk: { S: pk } } });
  return new Promise((resolve, reject) => {
    const request = https.request(
      {
        host: url.hostname,
        port: url.port,
        method: 'POST',
        path: '/',
        agent,
        headers: { 'Content-Type': 'application/x-amz-json-1.0', 'X-Amz-Target': 'DynamoDB_20120810.PutItem' },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString() || '{}')));
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

export const handler = async () => 0;
