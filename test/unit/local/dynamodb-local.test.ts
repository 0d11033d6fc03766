import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  PUBLIC_OPT_IN_ENV,
  assertPrivateNetwork,
  networkInterfaces,
  startDynamoDbLocal,
} from '../../../local/dynamodb/dynamodb-local';
import { dynamoDbBackend } from '../../../local/dynamodb/start-dynamodb';
import { describeOn } from '../../support/dynamodb-backend';

const PROC_NET_DEV = `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:  123456     789    0    0    0     0          0         0   123456     789    0    0    0     0       0          0
  eth0: 9876543    4321    0    0    0     0          0         0  1234567    1234    0    0    0     0       0          0
`;

describe('the DynamoDB backend choice', () => {
  it('is dynalite unless HOOKFLOW_DYNAMODB names dynamodb-local, and refuses anything else by name', () => {
    expect(dynamoDbBackend({})).toBe('dynalite');
    expect(dynamoDbBackend({ HOOKFLOW_DYNAMODB: 'dynamodb-local' })).toBe('dynamodb-local');
    expect(() => dynamoDbBackend({ HOOKFLOW_DYNAMODB: 'dynamo' })).toThrow(/HOOKFLOW_DYNAMODB must be one of/);
  });
});

describe('DynamoDB Local outside a private network namespace', () => {
  it('reads every interface of the namespace, down ones too, from /proc/self/net/dev', () => {
    expect(networkInterfaces(PROC_NET_DEV)).toEqual(['lo', 'eth0']);
  });

  it('starts only where loopback is the sole interface', () => {
    expect(() => assertPrivateNetwork(['lo'], {})).not.toThrow();
    expect(() => assertPrivateNetwork(['lo', 'eth0'], {})).toThrow(/listens on every network interface.*eth0/);
  });

  it('starts anywhere only when the user opts in by name', () => {
    expect(() => assertPrivateNetwork(['lo', 'eth0'], { [PUBLIC_OPT_IN_ENV]: '1' })).not.toThrow();
    expect(() => assertPrivateNetwork(['lo', 'eth0'], { [PUBLIC_OPT_IN_ENV]: 'yes' })).toThrow(PUBLIC_OPT_IN_ENV);
  });

  it('refuses to start, with the reason, before any JVM runs', async () => {
    await expect(startDynamoDbLocal({ interfaces: ['lo', 'eth0'], env: {} })).rejects.toThrow(
      /unshare -n.*HOOKFLOW_DYNAMODB_LOCAL_PUBLIC=1/s,
    );
  });
});

/** True once the process is gone (or a zombie no one has reaped yet: it holds no port and runs no code). */
function gone(pid: number): boolean {
  const stat = `/proc/${pid}/stat`;
  if (!existsSync(stat)) return true;
  try {
    // Field 3, after the parenthesised command name, is the state.
    return readFileSync(stat, 'utf8').split(') ')[1]?.startsWith('Z') ?? true;
  } catch {
    return true;
  }
}

async function pollUntil(condition: () => boolean, deadlineMs: number): Promise<boolean> {
  const deadline = Date.now() + deadlineMs;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return true;
}

describeOn('dynamodb-local', 'the DynamoDB Local JVM', () => {
  it('stops when closed', async () => {
    const jvm = await startDynamoDbLocal();
    expect(gone(jvm.pid)).toBe(false);

    await jvm.close();

    expect(await pollUntil(() => gone(jvm.pid), 10_000)).toBe(true);
  }, 120_000);

  it('dies with the process that started it, even when that process is SIGKILLed', async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(__dirname, '..', '..', 'support', 'dynamodb-local-child.ts')],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const { pid } = await new Promise<{ pid: number }>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes('\n')) resolve(JSON.parse(out) as { pid: number });
      });
      child.once('exit', (code) => reject(new Error(`the child exited (${code}) before DynamoDB Local ran`)));
    });
    expect(gone(pid)).toBe(false);

    child.kill('SIGKILL');

    // Bounded, not timed: the kernel signals the JVM when its parent dies; 10 s only guards against a hang.
    expect(await pollUntil(() => gone(pid), 10_000)).toBe(true);
  }, 120_000);
});
