import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * aws-local-stepfunctions validates every definition it is given with asl-validator, which builds a new Ajv and
 * compiles the whole States Language schema for each one: about 90 ms a definition, 1.5 s of every local stack's
 * start for its 16 workflows, paid again at each of the test suites' many starts. The result is a pure function
 * of the definition, the options and the validator's version, so a definition that passed once is remembered
 * here, on disk (node_modules/.cache, as the handler bundles are), and later loads of the very same text skip the
 * second, identical validation. Only a pass is remembered: a refused definition is validated, and refused, every
 * time. Nothing is relaxed: what AWS refuses is still refused by the same check (docs/local-stack.md).
 */
export interface ValidatedDefinitions {
  /** The validation options for `text` (the definition as it will be run): skip it if it passed before. */
  optionsFor(text: string): { readonly noValidate: true } | typeof VALIDATE;
  /** `text` passed validation with `VALIDATE`. */
  passed(text: string): void;
}

/** What every definition is validated with: ARNs are hookflow's own check (workflows/service-integrations.ts). */
export const VALIDATE = { checkArn: false } as const;

const root = resolve(__dirname, '..', '..');

/** The versions a validation depends on: another version of either validates afresh. */
function validatorVersions(): string | undefined {
  try {
    return ['asl-validator', 'aws-local-stepfunctions']
      .map(
        (name) =>
          (JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')) as { version: string })
            .version,
      )
      .join('/');
  } catch {
    return undefined;
  }
}

/**
 * Definitions remembered under `folder` (default node_modules/.cache/hookflow/asl-validated), one empty file per
 * definition that passed, named by the SHA-256 of the definition, the options and the validators' versions. Where
 * the folder cannot be written, or the versions cannot be read, every definition is validated, as before.
 */
export function validatedDefinitions(
  folder = join(root, 'node_modules', '.cache', 'hookflow', 'asl-validated'),
): ValidatedDefinitions {
  const versions = validatorVersions();
  const marker = (text: string) =>
    join(
      folder,
      createHash('sha256')
        .update(`${versions}\n${JSON.stringify(VALIDATE)}\n${text}`)
        .digest('hex'),
    );
  return {
    optionsFor: (text) => (versions !== undefined && existsSync(marker(text)) ? { noValidate: true } : VALIDATE),
    passed: (text) => {
      if (versions === undefined) return;
      try {
        mkdirSync(folder, { recursive: true });
        writeFileSync(marker(text), '');
      } catch {
        // Only a cache: the next start validates this definition again.
      }
    },
  };
}
