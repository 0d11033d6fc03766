import { build } from 'esbuild';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { handlerBuildOptions } from '../../lib/handler-bundling';

/**
 * hookflow's error classes keep their names in a deployed bundle. The construct minifies every handler
 * (lib/handler-bundling.ts), and minifying renames classes: a name taken from the class (`new.target.name`,
 * `this.constructor.name`) is then a letter, in every log line and wherever the name leaves the process, such as
 * the error a Lambda task fails with in Step Functions, which a workflow's Retry and Catch match. So each class
 * names itself with a string. Every `export class … extends …Error` under functions/ is found here, bundled as the
 * construct bundles a handler, and constructed from the bundle.
 */
describe('error names in a minified bundle', () => {
  const root = join(__dirname, '..', '..');
  const functionsDir = join(root, 'functions');
  /** The name a class deliberately reports instead of its own (Step Functions' dotted error names). */
  const RENAMED: Record<string, string> = {
    WaitInputError: 'WaitForEvent.InvalidInput',
    WaitContendedError: 'WaitForEvent.Contended',
    WaitBusyError: 'WaitForEvent.Busy',
  };
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'hookflow-error-names-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function sourcesUnder(folder: string): string[] {
    return readdirSync(folder).flatMap((entry) => {
      const path = join(folder, entry);
      if (statSync(path).isDirectory()) return sourcesUnder(path);
      return path.endsWith('.ts') && !path.endsWith('.d.ts') ? [path] : [];
    });
  }

  it('keeps every exported error class its name', async () => {
    // Arrange: each exported error class, and the file it is in.
    const classes = sourcesUnder(functionsDir).flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(/^export (?:abstract )?class (\w+) extends \w*Error\b/gm)]
        .filter((match) => !/^export abstract/.test(match[0]))
        .map((match) => ({ name: match[1]!, file })),
    );
    const entry = join(dir, 'entry.ts');
    writeFileSync(
      entry,
      classes
        .map(({ name, file }) => `export { ${name} } from '${relative(dir, file).replace(/\.ts$/, '')}';`)
        .join('\n'),
    );
    const outfile = join(dir, 'bundle.js');
    await build({ ...handlerBuildOptions(), sourcemap: false, entryPoints: [entry], outfile, logLevel: 'error' });

    // Act
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a bundle is CommonJS, as in Lambda
    const bundle = require(outfile) as Record<string, new (message: string, ...rest: never[]) => Error>;
    const names = Object.fromEntries(classes.map(({ name }) => [name, new bundle[name]!('message').name]));

    // Assert
    expect(classes.length).toBeGreaterThan(10);
    expect(names).toEqual(Object.fromEntries(classes.map(({ name }) => [name, RENAMED[name] ?? name])));
  });
});
