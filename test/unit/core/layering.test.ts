import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = join(__dirname, '../../..');
const core = join(root, 'functions/core');

function sourcesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sourcesUnder(join(dir, entry.name))
      : entry.name.endsWith('.ts')
        ? [join(dir, entry.name)]
        : [],
  );
}

/** Every module a file imports (static imports, `import type`, re-exports, dynamic imports and requires). */
function modulesIn(text: string): string[] {
  return [...text.matchAll(/(?:from|import|require)\s*\(?\s*['"]([^'"]+)['"]/g)].map((match) => match[1]!);
}
const importsOf = (file: string) => modulesIn(readFileSync(file, 'utf8'));

const FORBIDDEN: readonly [RegExp, string][] = [
  [/^aws-lambda$/, 'Lambda event types'],
  [/^@aws-sdk\//, 'the AWS SDK'],
  [/^@middy\//, 'middleware'],
  [/(^|\/)http(\/|$)/, 'the HTTP layer'],
];

describe('functions/core knows nothing of HTTP, Lambda events or AWS', () => {
  const files = sourcesUnder(core);

  it('reads the core', () => {
    expect(files.length).toBeGreaterThan(10);
  });

  it.each(FORBIDDEN)('no core file imports %s (%s)', (pattern) => {
    const offenders = files.flatMap((file) =>
      importsOf(file)
        .filter((module) => pattern.test(module))
        .map((module) => `${relative(root, file)} imports ${module}`),
    );

    expect(offenders).toEqual([]);
  });

  it('the import scanner sees an HTTP import when there is one', () => {
    const sample = "import type { APIGatewayProxyEventV2 } from 'aws-lambda';\nimport { x } from '../http/request';";
    const modules = modulesIn(sample);

    expect(modules.filter((m) => FORBIDDEN.some(([pattern]) => pattern.test(m)))).toEqual([
      'aws-lambda',
      '../http/request',
    ]);
  });
});
