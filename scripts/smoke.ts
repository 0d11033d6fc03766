/**
 * `npm run smoke -- --url <base URL>`: drives one request per webhook style against a running hookflow stack
 * (deployed, or the local one) as a third party would, over HTTP only (plus the admin API to register a
 * webhook), and prints one PASS / FAIL / SKIP line per check with its reason and timing. What it creates it
 * removes again, also when a check fails or the run is interrupted. Exit code: 0 when every check passed, 1
 * when one failed, 2 on bad usage. Keys and secrets come from the environment (preferred: command-line
 * options show in `ps`) and are never printed. Every option is documented in docs/deploy.md.
 */
import { parseArgs } from 'node:util';
import {
  type Check,
  type CheckContext,
  CheckFailed,
  STYLES,
  type SmokeSettings,
  type Style,
  checks,
  newRunId,
} from './smoke-checks';

const USAGE = `usage: npm run smoke -- --url <base URL> [options]

  --url URL                 the stack's ApiUrl output                         (HOOKFLOW_URL)
  --timeout SECONDS         longest any one wait may take (default 60)        (HOOKFLOW_SMOKE_TIMEOUT)
  --flow ID                 flow to trigger (default hello)                   (HOOKFLOW_SMOKE_FLOW)
  --flow-key KEY            an API key that may trigger it                    (HOOKFLOW_SMOKE_FLOW_KEY)
  --client-webhook C/N      client webhook (default test-client/my-webhook)   (HOOKFLOW_SMOKE_CLIENT_WEBHOOK)
  --client-webhook-key KEY  its key, if it has one                            (HOOKFLOW_SMOKE_CLIENT_WEBHOOK_KEY)
  --inbound-secret S        an accepted Inbound-Webhook-Secret                (HOOKFLOW_SMOKE_INBOUND_SECRET)
  --inbound-workflow NAME   inbound workflow (default "workflow name")        (HOOKFLOW_SMOKE_INBOUND_WORKFLOW)
  --event-ref REF           event workflow started by ref (default order-echo)
  --event-type TYPE         CloudEvent type (default com.example.order.created)
  --wait-ref REF            event workflow that waits (default approval)
  --wait-topic TOPIC        the topic it waits on (default approval)
  --api-key KEY             admin API key of the organisation                 (HOOKFLOW_API_KEY)
  --org ORG                 organisation (default acme)                       (HOOKFLOW_ORG)
  --template ID             workflow template to bind (default notify)        (HOOKFLOW_SMOKE_TEMPLATE)
  --skip STYLE,...          leave styles out: ${STYLES.join(', ')}
`;

export type Verdict = 'PASS' | 'FAIL' | 'SKIP';

class UsageError extends Error {}

function settingsFrom(argv: readonly string[], env: NodeJS.ProcessEnv): { settings: SmokeSettings; skip: Set<Style> } {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        url: { type: 'string' },
        timeout: { type: 'string' },
        flow: { type: 'string' },
        'flow-key': { type: 'string' },
        'client-webhook': { type: 'string' },
        'client-webhook-key': { type: 'string' },
        'inbound-secret': { type: 'string' },
        'inbound-workflow': { type: 'string' },
        'event-ref': { type: 'string' },
        'event-type': { type: 'string' },
        'wait-ref': { type: 'string' },
        'wait-topic': { type: 'string' },
        'api-key': { type: 'string' },
        org: { type: 'string' },
        template: { type: 'string' },
        skip: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help === true) throw new UsageError('');
  const url = values.url ?? env.HOOKFLOW_URL;
  if (url === undefined || !/^https?:\/\/[^/]/.test(url)) throw new UsageError('--url must be an http(s) URL');
  const timeout = Number(values.timeout ?? env.HOOKFLOW_SMOKE_TIMEOUT ?? '60');
  if (!Number.isFinite(timeout) || timeout <= 0) throw new UsageError('--timeout must be a positive number of seconds');
  const skip = new Set<Style>();
  for (const style of (values.skip ?? '').split(',').filter((s) => s !== '')) {
    if (!(STYLES as readonly string[]).includes(style)) throw new UsageError(`--skip: unknown style "${style}"`);
    skip.add(style as Style);
  }
  const optional = <K extends string>(key: K, value: string | undefined) =>
    (value === undefined || value === '' ? {} : { [key]: value }) as Partial<Record<K, string>>;
  return {
    skip,
    settings: {
      url: url.replace(/\/+$/, ''),
      timeoutMs: timeout * 1000,
      flow: {
        id: values.flow ?? env.HOOKFLOW_SMOKE_FLOW ?? 'hello',
        ...optional('key', values['flow-key'] ?? env.HOOKFLOW_SMOKE_FLOW_KEY),
      },
      clientWebhook: {
        path: values['client-webhook'] ?? env.HOOKFLOW_SMOKE_CLIENT_WEBHOOK ?? 'test-client/my-webhook',
        ...optional('key', values['client-webhook-key'] ?? env.HOOKFLOW_SMOKE_CLIENT_WEBHOOK_KEY),
      },
      inbound: {
        workflow: values['inbound-workflow'] ?? env.HOOKFLOW_SMOKE_INBOUND_WORKFLOW ?? 'workflow name',
        ...optional('secret', values['inbound-secret'] ?? env.HOOKFLOW_SMOKE_INBOUND_SECRET),
      },
      events: {
        ref: values['event-ref'] ?? 'order-echo',
        type: values['event-type'] ?? 'com.example.order.created',
        waitRef: values['wait-ref'] ?? 'approval',
        waitTopic: values['wait-topic'] ?? 'approval',
      },
      webhooks: {
        ...optional('apiKey', values['api-key'] ?? env.HOOKFLOW_API_KEY),
        org: values.org ?? env.HOOKFLOW_ORG ?? 'acme',
        template: values.template ?? env.HOOKFLOW_SMOKE_TEMPLATE ?? 'notify',
      },
    },
  };
}

/** Every key and secret the run was given, so no printed line can carry one (whatever a server echoes). */
function secretsOf(settings: SmokeSettings): string[] {
  return [settings.flow.key, settings.clientWebhook.key, settings.inbound.secret, settings.webhooks.apiKey].filter(
    (value): value is string => value !== undefined && value !== '',
  );
}

export async function runSmoke(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  print: (line: string) => void,
  onInterrupt: (handler: () => void) => void = () => undefined,
): Promise<number> {
  let parsed;
  try {
    parsed = settingsFrom(argv, env);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    print(`${error.message === '' ? '' : `smoke: ${error.message}\n\n`}${USAGE}`);
    return error.message === '' ? 0 : 2;
  }
  const { settings, skip } = parsed;
  const secrets = secretsOf(settings);
  const redact = (text: string) => secrets.reduce((out, secret) => out.split(secret).join('[redacted]'), text);
  const counts: Record<Verdict, number> = { PASS: 0, FAIL: 0, SKIP: 0 };
  const report = (verdict: Verdict, name: string, ms: number, detail: string) => {
    counts[verdict]++;
    print(redact(`${verdict} ${name} (${ms} ms): ${detail.replace(/\s+/g, ' ')}`));
  };

  const undo: { name: string; run: () => Promise<string> }[] = [];
  const context: CheckContext = {
    settings,
    runId: newRunId(),
    hide: (secret) => secrets.push(secret),
    cleanup: (name, run) => undo.push({ name, run }),
  };
  const timed = async (name: string, work: () => Promise<string>) => {
    const started = Date.now();
    try {
      const detail = await work();
      report('PASS', name, Date.now() - started, detail);
    } catch (error) {
      const reason =
        error instanceof CheckFailed ? error.message : `${(error as Error).name}: ${(error as Error).message}`;
      report('FAIL', name, Date.now() - started, reason);
    }
  };
  // Undo steps run newest first (unbind before delete), each once, also when the run is interrupted.
  let cleaning: Promise<void> | undefined;
  const cleanUp = () =>
    (cleaning ??= (async () => {
      while (undo.length > 0) {
        const step = undo.pop()!;
        await timed(`cleanup: ${step.name}`, step.run);
      }
    })());
  onInterrupt(() => {
    print('smoke: interrupted; cleaning up');
    void cleanUp().then(() => process.exit(1));
  });

  print(`smoke: ${settings.url} (run ${context.runId}, waits up to ${settings.timeoutMs / 1000} s)`);
  try {
    for (const check of checks as readonly Check[]) {
      if (skip.has(check.style)) {
        report('SKIP', check.name, 0, `--skip ${check.style}`);
        continue;
      }
      await timed(check.name, () => check.run(context));
    }
  } finally {
    await cleanUp();
  }
  print(`smoke: ${counts.PASS} passed, ${counts.FAIL} failed, ${counts.SKIP} skipped`);
  return counts.FAIL === 0 ? 0 : 1;
}

if (require.main === module) {
  runSmoke(
    process.argv.slice(2),
    process.env,
    (line) => process.stdout.write(`${line}\n`),
    (handler) => {
      process.once('SIGINT', handler);
      process.once('SIGTERM', handler);
    },
  ).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`smoke: ${(error as Error).message}\n`);
      process.exitCode = 1;
    },
  );
}
