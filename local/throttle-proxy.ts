import { type IncomingMessage, type Server, type ServerResponse, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AwsErrorAnswer } from './throttles';

/**
 * A loopback proxy in front of a local AWS JSON-protocol service (dynalite, fauxqs): each request's
 * `X-Amz-Target` operation and body go to `refuse`, which either lets it through (undefined) or names the
 * error to answer instead. A refused request never reaches the service, as a throttled AWS call is not
 * carried out. Only started when HOOKFLOW_LOCAL_THROTTLE has rules for the service: otherwise nothing sits
 * between the handlers and the service.
 */
export async function startThrottleProxy(options: {
  host: string;
  upstream: string;
  refuse: (operation: string, body: Buffer) => AwsErrorAnswer | undefined;
}): Promise<{ endpoint: string; close(): Promise<void> }> {
  const upstream = new URL(options.upstream);
  const server: Server = createServer((req, res) => void forward(req, res));

  async function forward(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const target = String(req.headers['x-amz-target'] ?? '');
    const refusal = options.refuse(target.slice(target.indexOf('.') + 1), body);
    if (refusal !== undefined) {
      const text = JSON.stringify(refusal.body);
      res.writeHead(refusal.status, { ...refusal.headers, 'content-length': Buffer.byteLength(text) });
      res.end(text);
      return;
    }
    const out = request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    out.on('error', () => res.destroy());
    out.end(body);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, options.host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://${options.host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The partition key value a DynamoDB item request addresses (`pk`, hookflow's key name), if any. */
export function partitionKeyOf(body: Buffer): string | undefined {
  try {
    const request = JSON.parse(body.toString('utf8')) as {
      Key?: { pk?: { S?: string } };
      Item?: { pk?: { S?: string } };
      ExpressionAttributeValues?: Record<string, { S?: string }>;
      KeyConditionExpression?: string;
    };
    const direct = request.Key?.pk?.S ?? request.Item?.pk?.S;
    if (direct !== undefined) return direct;
    // A Query's partition: the value bound to `pk = :x` in its key condition.
    const bound = /\bpk\s*=\s*(:\w+)/.exec(request.KeyConditionExpression ?? '')?.[1];
    return bound === undefined ? undefined : request.ExpressionAttributeValues?.[bound]?.S;
  } catch {
    return undefined;
  }
}

/** The table a DynamoDB request names, for the ThrottlingReason's resource ARN. */
export function tableOf(body: Buffer): string {
  try {
    return String((JSON.parse(body.toString('utf8')) as { TableName?: unknown }).TableName ?? 'unknown');
  } catch {
    return 'unknown';
  }
}
