import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { build } from 'esbuild';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { handlers } from '../../functions/routes';
import { handlerBuildOptions } from '../../lib/handler-bundling';
import { HookflowFunction } from '../../lib/hookflow-function';

const root = join(__dirname, '..', '..');

/**
 * One handler synthesized with bundling on (the other infra tests skip esbuild): the code the construct ships is
 * the code the bench measures and the package build prebuilds, because all three take their options from
 * lib/handler-bundling.ts.
 */
describe('a handler as synthesized', () => {
  const spec = handlers.find((h) => h.name === 'flow-trigger')!;
  const outdir = mkdtempSync(join(tmpdir(), 'hookflow-bundling-'));
  let assetDir: string;
  let template: Template;

  beforeAll(() => {
    // Arrange
    const app = new App({ outdir });
    const stack = new Stack(app, 'Bundling');
    new HookflowFunction(stack, 'FlowTrigger', {
      spec,
      environment: {},
      logRetention: RetentionDays.ONE_WEEK,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // Act
    const assembly = app.synth();
    template = Template.fromStack(stack);
    const fn = Object.values(template.findResources('AWS::Lambda::Function'))[0]!;
    // The code asset is staged as asset.<hash>/ and uploaded as <hash>.zip.
    const hash = (fn.Properties.Code.S3Key as string).replace(/\.zip$/, '');
    assetDir = join(assembly.directory, `asset.${hash}`);
  }, 120_000);
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it('bundles the AWS SDK in and runs without --enable-source-maps, its source map beside it', () => {
    // Assert
    const code = readFileSync(join(assetDir, 'index.js'), 'utf8');
    // (The SDK's own error text mentions `require("@aws-sdk/signature-v4-crt")`: look for the clients only.)
    const requiredClients = code.match(/require\(["']@aws-sdk\/client-[a-z0-9-]+["']\)/g) ?? [];
    expect(requiredClients).toEqual([]);
    expect(code).toContain('DynamoDB_20120810'); // the DynamoDB client's service target: bundled in
    expect(existsSync(join(assetDir, 'index.js.map'))).toBe(true);
    const fn = Object.values(template.findResources('AWS::Lambda::Function'))[0]!;
    expect(fn.Properties.Environment.Variables.NODE_OPTIONS).toBeUndefined();
  });

  it('is byte for byte what esbuild builds from lib/handler-bundling.ts (the bench, the package build)', async () => {
    // Arrange
    const benchDir = mkdtempSync(join(tmpdir(), 'hookflow-bundling-api-'));
    try {
      // Act
      await build({
        ...handlerBuildOptions(),
        entryPoints: [join(root, 'functions', spec.entry)],
        absWorkingDir: root,
        outfile: join(benchDir, 'index.js'),
        logLevel: 'error',
      });
      // Assert
      // Compared as booleans: a failure would otherwise print two half-megabyte bundles.
      const same =
        readFileSync(join(benchDir, 'index.js'), 'utf8') === readFileSync(join(assetDir, 'index.js'), 'utf8');
      expect(same).toBe(true);
    } finally {
      rmSync(benchDir, { recursive: true, force: true });
    }
  });
});
