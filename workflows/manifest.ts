import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { guardExpressDefinition } from './express-run-guard';
import { expandWaitForEvent } from './wait-for-event-states';

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
  /**
   * The definition with `hookflow:WaitForEvent` states expanded, placeholders still in (what CDK deploys, with
   * definitionSubstitutions).
   */
  readonly definitionText: string;
  readonly definition: Record<string, unknown>;
}

/**
 * States of type `hookflow:WaitForEvent` expand into the wait-for-event states (workflows/wait-for-event-states.ts).
 * `${Name}` placeholders in a definition (`${Partition}`, `${WaitForEventFunction}`) are Step Functions
 * definition substitutions: CDK fills them at deploy time, the local stack with its own values at load.
 */
export function loadWorkflowManifest(
  dir: string = __dirname,
  substitutions: Readonly<Record<string, string>> = {},
): WorkflowDefinition[] {
  const manifest = manifestSchema.parse(JSON.parse(readFileSync(join(dir, 'workflows.json'), 'utf8')));
  return manifest.workflows.map((workflow) => {
    const definitionPath = join(dir, workflow.definition);
    const written = JSON.parse(readFileSync(definitionPath, 'utf8')) as Record<string, unknown>;
    const definitionText = JSON.stringify(withRunGuard(workflow.type, expandWaitForEvent(written)), null, 2);
    return {
      name: workflow.name,
      type: workflow.type,
      definitionPath,
      definitionText,
      definition: JSON.parse(
        definitionText.replace(/\$\{(\w+)\}/g, (placeholder, name: string) =>
          substitutions[name] === undefined ? placeholder : JSON.stringify(substitutions[name]).slice(1, -1),
        ),
      ) as Record<string, unknown>,
    };
  });
}

/**
 * Every Express workflow gets the run guard first (workflows/express-run-guard.ts): Express, unlike Standard,
 * does not refuse a second execution with the same name, so this is what keeps a deduped run from running twice.
 */
function withRunGuard(type: 'EXPRESS' | 'STANDARD', definition: Record<string, unknown>): Record<string, unknown> {
  return type === 'EXPRESS' ? guardExpressDefinition(definition, '${DedupeTable}', '${Partition}') : definition;
}
