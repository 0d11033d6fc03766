import { createHmac } from 'node:crypto';
import { type ApiSettings, UsageError, callApi } from './api-client';
import { type DeliveryFlags, getDelivery, listDeliveries, replayBulk, replayOne } from './deliveries';

export interface Output {
  print(text: string): void;
  error(text: string): void;
}

export interface CommandInput {
  readonly api: ApiSettings;
  readonly args: readonly string[];
  readonly json: boolean;
  readonly hmac: boolean;
  readonly secret?: string;
  readonly verifySecret?: string;
  readonly verifier?: string;
  readonly replay?: boolean;
  /** `--record-deliveries true|false`, as typed (checked by the command that uses it). */
  readonly recordDeliveries?: string;
  /** `--when-busy queue|reject`, as typed (checked by the command that uses it). */
  readonly whenBusy?: string;
  readonly overlapSeconds?: number;
  readonly data?: string;
  readonly idempotencyKey?: string;
  /** `deliveries` commands: filters, paging and replay options. */
  readonly deliveries?: DeliveryFlags;
}

type Command = (input: CommandInput, out: Output) => Promise<void>;

interface Webhook {
  id: string;
  orgId: string;
  createdOn: string;
  createdById: string;
  verifySecret?: string;
  recordDeliveries?: boolean;
  whenBusy?: string;
  workflows?: { eventWorkflowTemplateId: string; trigger: string }[];
}

interface Process {
  id: string;
  eventWorkflowTemplateId: string;
  status: string;
  executionLink: string;
  eventWorkflowTaskIds: string[];
  taskOutputs: Record<string, unknown>;
  error?: string;
  cause?: string;
}

const pretty = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

/** The argument at `index`, or a usage error naming it. */
function arg(input: CommandInput, index: number, what: string): string {
  const value = input.args[index];
  if (value === undefined || value === '') throw new UsageError(`missing ${what}`);
  return value;
}

/** Accepts a webhook id as seed 5 writes the trigger too: `webhookId:4X0bETHdBKw87l6h`. */
const webhookIdArg = (input: CommandInput) => arg(input, 0, '<webhookId>').replace(/^webhookId:/, '');

const path = (...segments: string[]) => segments.map(encodeURIComponent).join('/');

function describeWebhook(webhook: Webhook): string {
  const quiet = webhook.recordDeliveries === false ? '  deliveries not recorded' : '';
  const rejects = webhook.whenBusy === 'reject' ? '  rejects when busy (503)' : '';
  return `${webhook.id}  org ${webhook.orgId}  created ${webhook.createdOn} by ${webhook.createdById}${quiet}${rejects}`;
}

/** `--record-deliveries true|false` as the API's boolean; undefined when not given. */
function recordDeliveriesFlag(input: CommandInput): boolean | undefined {
  if (input.recordDeliveries === undefined) return undefined;
  if (input.recordDeliveries === 'true' || input.recordDeliveries === 'false') return input.recordDeliveries === 'true';
  throw new UsageError(`--record-deliveries must be true or false, not "${input.recordDeliveries}"`);
}

/** `--when-busy queue|reject` as given; undefined when not given. */
function whenBusyFlag(input: CommandInput): 'queue' | 'reject' | undefined {
  if (input.whenBusy === undefined) return undefined;
  if (input.whenBusy === 'queue' || input.whenBusy === 'reject') return input.whenBusy;
  throw new UsageError(`--when-busy must be queue or reject, not "${input.whenBusy}"`);
}

/** The settings flags given (`--record-deliveries`, `--when-busy`), as the API's fields. */
function settingsFlags(input: CommandInput) {
  const recordDeliveries = recordDeliveriesFlag(input);
  const whenBusy = whenBusyFlag(input);
  return {
    ...(recordDeliveries === undefined ? {} : { recordDeliveries }),
    ...(whenBusy === undefined ? {} : { whenBusy }),
  };
}

function describeProcess(process: Process): string {
  const lines = [`${process.id}  ${process.eventWorkflowTemplateId}  ${process.status}  ${process.executionLink}`];
  if (process.error !== undefined) lines.push(`  error: ${process.error}${process.cause ? `: ${process.cause}` : ''}`);
  for (const task of process.eventWorkflowTaskIds) {
    const output = process.taskOutputs[task];
    lines.push(`  ${task}${output === undefined ? '' : `: ${JSON.stringify(output)}`}`);
  }
  return lines.join('\n');
}

export const commands: Record<string, Command> = {
  'webhooks create': async (input, out) => {
    const settings = {
      ...(input.verifySecret === undefined ? {} : { verifySecret: input.verifySecret }),
      ...(input.verifier === undefined ? {} : { verifier: { kind: input.verifier } }),
      ...(input.replay === true ? { replay: {} } : {}),
      ...settingsFlags(input),
    };
    const webhook = (await callApi(input.api, 'POST', 'api/webhooks', {
      ...(Object.keys(settings).length === 0 ? {} : { body: JSON.stringify(settings) }),
    })) as Webhook;
    if (input.json) return out.print(pretty(webhook));
    out.print(
      `${describeWebhook(webhook)}\n` +
        `trigger:  POST ${input.api.url.replace(/\/$/, '')}/api/trigger-webhooks/${webhook.id}\n` +
        `secret:   ${webhook.verifySecret ?? ''}\n` +
        '          (shown once: send it as X-Verify-Signature, or sign the body with it and use --hmac)\n',
    );
  },
  'webhooks update': async (input, out) => {
    const id = webhookIdArg(input);
    const settings = settingsFlags(input);
    if (Object.keys(settings).length === 0) {
      throw new UsageError('missing a setting to change: --record-deliveries true|false, --when-busy queue|reject');
    }
    const webhook = (await callApi(input.api, 'PATCH', path('api', 'webhooks', id), {
      body: JSON.stringify(settings),
    })) as Webhook;
    if (input.json) return out.print(pretty(webhook));
    out.print(`${describeWebhook(webhook)}\n`);
  },
  'webhooks rotate': async (input, out) => {
    const id = webhookIdArg(input);
    if (input.overlapSeconds !== undefined && !Number.isInteger(input.overlapSeconds)) {
      throw new UsageError('--overlap-seconds must be a whole number of seconds');
    }
    const rotated = (await callApi(input.api, 'POST', path('api', 'webhooks', id, 'rotate-secret'), {
      body: JSON.stringify(input.overlapSeconds === undefined ? {} : { overlapSeconds: input.overlapSeconds }),
    })) as Webhook & { previousSecretExpiresAt?: string };
    if (input.json) return out.print(pretty(rotated));
    out.print(
      `secret:   ${rotated.verifySecret ?? ''}   (shown once)\n` +
        (rotated.previousSecretExpiresAt === undefined
          ? 'the previous secret no longer verifies\n'
          : `the previous secret verifies until ${rotated.previousSecretExpiresAt}\n`),
    );
  },
  'webhooks list': async (input, out) => {
    const webhooks = (await callApi(input.api, 'GET', 'api/webhooks')) as Webhook[];
    if (input.json) return out.print(pretty(webhooks));
    out.print(webhooks.length === 0 ? 'no webhooks\n' : `${webhooks.map(describeWebhook).join('\n')}\n`);
  },
  'webhooks get': async (input, out) => {
    const webhook = (await callApi(input.api, 'GET', path('api', 'webhooks', webhookIdArg(input)))) as Webhook;
    if (input.json) return out.print(pretty(webhook));
    const bound = (webhook.workflows ?? []).map((w) => `  ${w.eventWorkflowTemplateId}  (trigger ${w.trigger})`);
    out.print(`${describeWebhook(webhook)}\n${bound.length === 0 ? '  no workflows bound' : bound.join('\n')}\n`);
  },
  'webhooks delete': async (input, out) => {
    const id = webhookIdArg(input);
    await callApi(input.api, 'DELETE', path('api', 'webhooks', id));
    out.print(input.json ? pretty({ id, deleted: true }) : `deleted ${id}\n`);
  },
  'webhooks bind': async (input, out) => {
    const id = webhookIdArg(input);
    const template = arg(input, 1, '<templateId>');
    const binding = await callApi(input.api, 'PUT', path('api', 'webhooks', id, 'workflows', template));
    out.print(input.json ? pretty(binding) : `${template} now has trigger webhookId:${id}\n`);
  },
  'webhooks unbind': async (input, out) => {
    const id = webhookIdArg(input);
    const template = arg(input, 1, '<templateId>');
    await callApi(input.api, 'DELETE', path('api', 'webhooks', id, 'workflows', template));
    out.print(
      input.json
        ? pretty({ webhookId: id, eventWorkflowTemplateId: template, unbound: true })
        : `unbound ${template} from ${id}\n`,
    );
  },
  'webhooks templates': async (input, out) => {
    const templates = (await callApi(input.api, 'GET', 'api/event-workflow-templates')) as {
      id: string;
      name: string;
    }[];
    if (input.json) return out.print(pretty(templates));
    out.print(templates.length === 0 ? 'no templates\n' : `${templates.map((t) => `${t.id}  ${t.name}`).join('\n')}\n`);
  },
  'webhooks trigger': async (input, out) => {
    const id = webhookIdArg(input);
    if (input.secret === undefined)
      throw new UsageError('no webhook secret: pass --secret or set HOOKFLOW_WEBHOOK_SECRET');
    const body = input.data ?? '{}';
    const signature = input.hmac
      ? `sha256=${createHmac('sha256', input.secret).update(body).digest('hex')}`
      : input.secret;
    const processes = (await callApi(input.api, 'POST', path('api', 'trigger-webhooks', id), {
      admin: false,
      body,
      headers: {
        'x-verify-signature': signature,
        ...(input.idempotencyKey === undefined ? {} : { 'idempotency-key': input.idempotencyKey }),
      },
    })) as Process[];
    if (input.json) return out.print(pretty(processes));
    out.print(
      processes.length === 0
        ? 'no workflows are bound to this webhook: nothing started\n'
        : `${processes.map(describeProcess).join('\n')}\n`,
    );
  },
  'processes get': async (input, out) => {
    const process = (await callApi(
      input.api,
      'GET',
      path('api', 'processes', arg(input, 0, '<processId>')),
    )) as Process;
    out.print(input.json ? pretty(process) : `${describeProcess(process)}\n`);
  },
  'deliveries list': (input, out) => listDeliveries(input, deliveryFlags(input), out),
  'deliveries get': (input, out) => getDelivery(input, arg(input, 0, '<deliveryId>'), out),
  'deliveries replay': (input, out) =>
    input.args[0] === undefined
      ? replayBulk(input, deliveryFlags(input), out)
      : replayOne(input, input.args[0], deliveryFlags(input), out),
};

const deliveryFlags = (input: CommandInput): DeliveryFlags =>
  input.deliveries ?? { filters: {}, dryRun: false, yes: false };
