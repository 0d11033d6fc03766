import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { replaySchema, verifierSchema } from '../functions/core/verify/verifier-config';

/** A registration's verifier for the laptop (deployed stacks set theirs with scripts/set-verifier.ts). */
const localVerifier = z
  .object({ verifier: verifierSchema, replay: replaySchema.optional(), secret: z.string().min(16) })
  .optional();

/** The local stack's seed file (local/hookflow.local.json by default). */
const localConfigSchema = z.object({
  flows: z.array(
    z.object({
      flowId: z.string().min(1),
      workflow: z.string().min(1),
      published: z.boolean().default(true),
      verifier: localVerifier,
    }),
  ),
  apiKeys: z.array(
    z.object({
      keyId: z.string().min(1),
      key: z.string().min(8),
      flows: z.array(z.string()).default([]),
      /** Organisations whose registered webhooks (seed 5) the key manages, named by X-Api-Org. */
      orgs: z.array(z.string().min(1)).default([]),
      disabled: z.boolean().default(false),
    }),
  ),
  /** Seed 2's webhook settings (`client.webhook.<name>`: flow_name, user_name, key, mode). */
  clientWebhooks: z
    .array(
      z
        .object({
          client: z.string().min(1),
          name: z.string().min(1),
          workflow: z.string().min(1),
          devWorkflow: z.string().min(1).optional(),
          runAs: z.string().min(1),
          key: z.string().min(1).optional(),
          mode: z.enum(['productive', 'dev']).default('productive'),
        })
        .refine((w) => w.mode !== 'dev' || w.devWorkflow !== undefined, 'mode dev needs a devWorkflow'),
    )
    .default([]),
  /** Seed 4: the accepted Inbound-Webhook-Secret values, and the workflows POST /inbound may start. */
  inbound: z
    .object({
      secrets: z.array(z.string().min(16)),
      workflows: z.array(
        z.object({ name: z.string().min(1), workflowId: z.string().uuid(), workflow: z.string().min(1) }),
      ),
    })
    .default({ secrets: [], workflows: [] }),
  /** Seed 3: workflows started by ref, and by CloudEvents of the types they subscribe to. */
  eventWorkflows: z
    .array(
      z.object({ ref: z.string().min(1), workflow: z.string().min(1), eventTypes: z.array(z.string()).default([]) }),
    )
    .default([]),
  /**
   * Seed 5: the workflow templates each organisation may bind to its registered webhooks (the webhooks
   * themselves are created at run time through the admin API). Templates must be STANDARD workflows.
   */
  webhookWorkflows: z
    .array(
      z.object({
        orgId: z.string().min(1),
        id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'template ids are 1-64 letters, digits, "_" or "-"'),
        name: z.string().min(1).optional(),
        workflow: z.string().min(1),
      }),
    )
    .default([]),
});

export type LocalConfig = z.infer<typeof localConfigSchema>;

export function loadLocalConfig(path: string): LocalConfig {
  const parsed = localConfigSchema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
  if (!parsed.success) {
    throw new Error(
      `${path} is invalid: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  return parsed.data;
}
