import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

/** Reads workflows/workflows.json: the example state machines both the CDK stack and the local stack load. */
const manifestSchema = z.object({
  workflows: z.array(
    z.object({
      name: z.string().regex(/^[A-Za-z0-9_-]{1,80}$/),
      definition: z.string().endsWith('.asl.json'),
      type: z.enum(['EXPRESS', 'STANDARD']),
    }),
  ),
});

export interface WorkflowDefinition {
  readonly name: string;
  readonly type: 'EXPRESS' | 'STANDARD';
  readonly definitionPath: string;
  /** The file as written, placeholders included (what CDK deploys, with definitionSubstitutions). */
  readonly definitionText: string;
  readonly definition: Record<string, unknown>;
}

/**
 * `${Name}` placeholders in a definition (e.g. `${WaitsTable}`) are Step Functions definition substitutions:
 * CDK fills them at deploy time, the local stack with its own names at load.
 */
export function loadWorkflowManifest(
  dir: string = __dirname,
  substitutions: Readonly<Record<string, string>> = {},
): WorkflowDefinition[] {
  const manifest = manifestSchema.parse(JSON.parse(readFileSync(join(dir, 'workflows.json'), 'utf8')));
  return manifest.workflows.map((workflow) => {
    const definitionPath = join(dir, workflow.definition);
    return {
      name: workflow.name,
      type: workflow.type,
      definitionPath,
      definitionText: readFileSync(definitionPath, 'utf8'),
      definition: JSON.parse(
        readFileSync(definitionPath, 'utf8').replace(
          /\$\{(\w+)\}/g,
          (placeholder, name: string) => substitutions[name] ?? placeholder,
        ),
      ) as Record<string, unknown>,
    };
  });
}
