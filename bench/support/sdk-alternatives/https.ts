/*
 * Reference H of bench/support/sdk-alternatives.ts, not a client: the transport floor. node:https with a
 * keep-alive Agent at load; the "first call" is one unsigned JSON POST to the DynamoDB endpoint over TLS, its
 * answer parsed (dynalite refuses it: no signature). No client can load, or make its first call, for less.
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
