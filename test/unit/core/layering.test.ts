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

describe('a style is one folder: no style imports another', () => {
  const stylesDir = join(root, 'functions/styles');
  const styles = readdirSync(stylesDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name);
  /** The deliveries API replays each style's runs through that style's own `replay.ts` (docs/deliveries.md). */
  const ALLOWED = new Set([
    ...styles.map((style) => `deliveries -> ${style}/replay`),
    'deliveries -> inbound/run-status',
  ]);

  it('reads the styles', () => {
    expect(styles).toEqual(expect.arrayContaining(['flow-trigger', 'inbound', 'events', 'deliveries']));
  });

  it('finds no import of another style’s folder (shared rules live in functions/core)', () => {
    const offenders = styles.flatMap((style) =>
      sourcesUnder(join(stylesDir, style)).flatMap((file) =>
        importsOf(file)
          .filter((module) => module.startsWith('.'))
          .map((module) => relative(stylesDir, join(file, '..', module)))
          .filter((target) => !target.startsWith('..') && target.split('/')[0] !== style)
          .filter((target) => target.includes('/'))
          .filter((target) => !ALLOWED.has(`${style} -> ${target}`))
          .map((target) => `${relative(root, file)} imports styles/${target}`),
      ),
    );

    expect(offenders).toEqual([]);
  });
});
