/**
 * hookflow's command line: manage registered webhooks (seed 5) and trigger them, against a deployed stack or
 * the local one. Settings come from flags or the environment:
 *
 *   HOOKFLOW_URL      --url       base URL (default http://127.0.0.1:3000, the local stack)
 *   HOOKFLOW_API_KEY  --api-key   an API key that is a member of the organisation
 *   HOOKFLOW_ORG      --org       the organisation (X-Api-Org)
 *
 *   npx hookflow webhooks create [--verify-secret S] [--verifier KIND] [--replay] [--record-deliveries B] [--when-busy W] [-j]
 *   npx hookflow webhooks update <id> [--record-deliveries true|false] [--when-busy queue|reject] [-j]   (one at least)
 *   npx hookflow webhooks rotate <id> [--overlap-seconds N] [-j]
 *   npx hookflow webhooks list|get <id>|delete <id> [-j]
 *   npx hookflow webhooks bind|unbind <webhookId | webhookId:ID> <templateId> [-j]
 *   npx hookflow webhooks trigger <id> --secret S [--data JSON | --data @file] [--hmac] [--idempotency-key K] [-j]
 *   npx hookflow webhooks templates [-j]
 *   npx hookflow processes get <id> [-j]
 *   npx hookflow deliveries list [--style --registration --outcome --correlation-id --from --to --since --limit --cursor] [-j]
 *   npx hookflow deliveries get <id> [-j]
 *   npx hookflow deliveries replay <id> [--mode if-no-run|force] [--dry-run] [-j]
 *   npx hookflow deliveries replay [filters] [--mode M] [--yes] [-j]   (a dry run, unless --yes)
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ApiError, UsageError } from './api-client';
import { type Output, commands } from './commands';

const USAGE = `usage: hookflow <webhooks|processes|deliveries> <command> [arguments] [options]

webhooks create [--verify-secret S]      create a webhook; its verification secret is shown once
    [--verifier KIND] [--replay]          KIND: contrail (default), github, stripe, slack,
    [--record-deliveries true|false]      standard-webhooks, microsoft-graph; --replay refuses replays;
    [--when-busy queue|reject]            --record-deliveries false: its triggers write no delivery record
webhooks update <id>                     change a webhook's settings (one at least):
    [--record-deliveries true|false]      record its triggers' deliveries (default true), or not
    [--when-busy queue|reject]            a busy engine: keep the starts and answer 202 (queue, the default),
                                          or answer 503 (reject); triggers see it within REGISTRY_CACHE_SECONDS
webhooks rotate <id> [--overlap-seconds N]  new secret (shown once); the old one verifies N s more (86400)
webhooks list                            the organisation's webhooks
webhooks get <id>                        one webhook and the workflows bound to it
webhooks delete <id>                     delete a webhook (its triggers answer 404 from then on)
webhooks bind <id> <templateId>          set the template's trigger to webhookId:<id>
webhooks unbind <id> <templateId>        remove that trigger
webhooks templates                       the workflow templates the organisation may bind
webhooks trigger <id> --secret S         start every bound workflow; prints the process records
    [--data JSON|@file] [--hmac] [--idempotency-key K]
processes get <id>                       a process's status and task outputs
deliveries list [filters]                recorded deliveries, newest first (needs the deliveries scope)
    [--limit N] [--cursor C]              filters: --style --registration --outcome --correlation-id
                                          --from ISO --to ISO, or --since 30m|1h|2d (default: the last 24 h)
deliveries get <id>                      one delivery: headers, body, outcome, its runs' status and links
deliveries replay <id>                   replay one: --mode if-no-run (default: only if it started no run)
    [--mode M] [--dry-run]                or force (a new run, marked as a replay)
deliveries replay [filters] [--mode M]   replay every match: prints how many would start (a dry run);
    [--yes]                               --yes starts them, page by page

options:
  --url URL         API base URL          (HOOKFLOW_URL, default http://127.0.0.1:3000)
  --api-key KEY     admin API key         (HOOKFLOW_API_KEY)
  --org ORG         organisation          (HOOKFLOW_ORG)
  --secret S        webhook secret        (HOOKFLOW_WEBHOOK_SECRET), for trigger
  --hmac            send an HMAC-SHA256 of the body instead of the secret itself
  -j, --json        print the API's JSON answer
  -h, --help        this text
`;

const OPTIONS = {
  url: { type: 'string' },
  'api-key': { type: 'string' },
  org: { type: 'string' },
  secret: { type: 'string' },
  'verify-secret': { type: 'string' },
  verifier: { type: 'string' },
  replay: { type: 'boolean', default: false },
  'record-deliveries': { type: 'string' },
  'when-busy': { type: 'string' },
  'overlap-seconds': { type: 'string' },
  data: { type: 'string', short: 'd' },
  hmac: { type: 'boolean', default: false },
  'idempotency-key': { type: 'string' },
  style: { type: 'string' },
  registration: { type: 'string' },
  outcome: { type: 'string' },
  'correlation-id': { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  since: { type: 'string' },
  limit: { type: 'string' },
  cursor: { type: 'string' },
  mode: { type: 'string' },
  'dry-run': { type: 'boolean', default: false },
  yes: { type: 'boolean', short: 'y', default: false },
  json: { type: 'boolean', short: 'j', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

/**
 * An id in an id's place, the token after `<group> <command>`, that starts with '-': hookflow's ids are 16
 * base64url characters, and one in 64 starts with '-', which the option parser would read as options ("Unknown
 * option '-P'"). Such a token is kept aside as the id unless it is one of the CLI's own options.
 */
const ID_PLACE = 2;
const DASHED_ID = /^-[A-Za-z0-9_-]{15}$/;

export async function run(argv: readonly string[], env: NodeJS.ProcessEnv, out: Output): Promise<number> {
  const tokens = [...argv];
  const id = tokens[ID_PLACE];
  const dashedId =
    id !== undefined && DASHED_ID.test(id) && !(id.startsWith('--') && Object.hasOwn(OPTIONS, id.slice(2)))
      ? id
      : undefined;
  if (dashedId !== undefined) tokens[ID_PLACE] = 'id';
  let parsed;
  try {
    parsed = parseArgs({
      args: tokens,
      allowPositionals: true,
      options: OPTIONS,
    });
  } catch (error) {
    out.error(`hookflow: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values } = parsed;
  const positionals = dashedId === undefined ? parsed.positionals : parsed.positionals.with(ID_PLACE, dashedId);
  if (values.help || positionals.length === 0) {
    out.print(USAGE);
    return values.help ? 0 : 2;
  }
  const [group, name, ...args] = positionals;
  const command = commands[`${group} ${name ?? ''}`];
  if (command === undefined) {
    out.error(`hookflow: unknown command "${positionals.slice(0, 2).join(' ')}"\n\n${USAGE}`);
    return 2;
  }
  const data = values.data?.startsWith('@') ? readFileSync(values.data.slice(1), 'utf8') : values.data;
  try {
    await command(
      {
        api: {
          url: values.url ?? env.HOOKFLOW_URL ?? 'http://127.0.0.1:3000',
          ...optional('apiKey', values['api-key'] ?? env.HOOKFLOW_API_KEY),
          ...optional('org', values.org ?? env.HOOKFLOW_ORG),
        },
        args,
        json: values.json,
        hmac: values.hmac,
        ...optional('secret', values.secret ?? env.HOOKFLOW_WEBHOOK_SECRET),
        ...optional('verifySecret', values['verify-secret']),
        ...optional('verifier', values.verifier),
        replay: values.replay,
        ...optional('recordDeliveries', values['record-deliveries']),
        ...optional('whenBusy', values['when-busy']),
        ...optional(
          'overlapSeconds',
          values['overlap-seconds'] === undefined ? undefined : Number(values['overlap-seconds']),
        ),
        ...optional('data', data),
        ...optional('idempotencyKey', values['idempotency-key']),
        deliveries: {
          filters: {
            ...optional('style', values.style),
            ...optional('registration', values.registration),
            ...optional('outcome', values.outcome),
            ...optional('correlation-id', values['correlation-id']),
            ...optional('from', values.from),
            ...optional('to', values.to),
          },
          ...optional('since', values.since),
          ...optional('limit', values.limit),
          ...optional('cursor', values.cursor),
          ...optional('mode', values.mode),
          dryRun: values['dry-run'],
          yes: values.yes,
        },
      },
      out,
    );
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      out.error(`hookflow: ${error.message}\n\n${USAGE}`);
      return 2;
    }
    if (error instanceof ApiError) {
      out.error(`hookflow: ${error.status} ${error.message}`);
      if (values.json && error.body !== null && typeof error.body === 'object') out.print(pretty(error.body));
      return 1;
    }
    out.error(`hookflow: ${(error as Error).message}`);
    return 1;
  }
}

const optional = <K extends string, V>(key: K, value: V | undefined) =>
  (value === undefined ? {} : { [key]: value }) as Partial<Record<K, V>>;

const pretty = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

/** The process entry (cli/hookflow.cjs): exit code 0 on success, 1 when the API refused, 2 on bad usage. */
export function main(): void {
  run(process.argv.slice(2), process.env, {
    print: (text) => process.stdout.write(text),
    error: (text) => process.stderr.write(`${text}\n`),
  }).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`hookflow: ${(error as Error).message}\n`);
      process.exitCode = 1;
    },
  );
}
