import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { handlers } from '../../functions/routes';
import { CREDENTIAL_CHAIN_FALLBACK, handlerBuildOptions } from '../../lib/handler-bundling';
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

  it('leaves the credential chain past the environment to the runtime, required (not imported) so NODE_PATH finds it', () => {
    // Assert
    const code = readFileSync(join(assetDir, 'index.js'), 'utf8');
    for (const link of CREDENTIAL_CHAIN_FALLBACK) {
      expect(code).toContain(`require("${link}")`);
      expect(code).not.toContain(`import("${link}")`);
    }
  });
});

/**
 * The guarantee behind leaving the credential chain's later links external: a function whose credentials are not
 * in its environment still gets them, from the SDK found through NODE_PATH (in Lambda, the runtime's copy in
 * /var/runtime/node_modules; here, the project's node_modules), never a load failure.
 */
describe('an SDK client bundled as a handler is', () => {
  it('still finds credentials that are not in the environment (container credentials, through NODE_PATH)', async () => {
    // Arrange: a client bundled with the deployed options, alone in a folder outside the project (as /var/task).
    const task = mkdtempSync(join(tmpdir(), 'hookflow-task-'));
    try {
      await build({
        ...handlerBuildOptions(),
        stdin: {
          contents:
            "import { DynamoDBClient } from '@aws-sdk/client-dynamodb'; export const client = new DynamoDBClient({ region: 'us-east-1' });",
          resolveDir: root,
          loader: 'ts',
        },
        outfile: join(task, 'index.js'),
        logLevel: 'error',
      });
      // A container credentials endpoint (the chain's remote link), then the client asked for its credentials.
      writeFileSync(
        join(task, 'resolve.js'),
        [
          "const server = require('node:http').createServer((req, res) => res.end(JSON.stringify({",
          "  AccessKeyId: 'AKIDFROMCONTAINER', SecretAccessKey: 'secret', Token: 'token',",
          '  Expiration: new Date(Date.now() + 3600e3).toISOString() })));',
          "server.listen(0, '127.0.0.1', async () => {",
          '  process.env.AWS_CONTAINER_CREDENTIALS_FULL_URI = `http://127.0.0.1:${server.address().port}/creds`;',
          "  const { client } = require('./index.js');",
          '  try { process.stdout.write((await client.config.credentials()).accessKeyId); }',
          '  catch (error) { process.stdout.write(`failed: ${error.message}`); }',
          '  server.close();',
          '});',
        ].join('\n'),
      );
      const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, NODE_PATH: join(root, 'node_modules'), HOME: task };
      // Act
      const resolved = execFileSync(process.execPath, [join(task, 'resolve.js')], { cwd: task, env }).toString();
      // Assert
      expect(resolved).toBe('AKIDFROMCONTAINER');
    } finally {
      rmSync(task, { recursive: true, force: true });
    }
  });
});
