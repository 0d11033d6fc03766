import { readFileSync } from 'node:fs';
import { z } from 'zod';

/** The local stack's seed file (local/hookflow.local.json by default). */
const localConfigSchema = z.object({
  flows: z.array(
    z.object({
      flowId: z.string().min(1),
      workflow: z.string().min(1),
      published: z.boolean().default(true),
    }),
  ),
  apiKeys: z.array(
    z.object({
      keyId: z.string().min(1),
      key: z.string().min(8),
      flows: z.array(z.string()).min(1),
      disabled: z.boolean().default(false),
    }),
  ),
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
