import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HookflowStack } from '../../lib/hookflow-stack';

/**
 * Issue 14: the reference stack checked by AWS Control Tower's proactive controls as cfn-guard rules
 * (@cdklabs/cdk-validator-cfnguard, run by CDK's policy validation at synth). A rule failure fails the synth
 * unless it is acknowledged, with its reason, next to the construct it concerns (Validations.of(c).acknowledge,
 * see lib/guard-acknowledgements.ts).
 */
const plugin = join(__dirname, '..', '..', 'node_modules', '@cdklabs', 'cdk-validator-cfnguard');
const rules = join(plugin, 'rules', 'control-tower', 'cfn-guard');

interface Report {
  pluginReports: {
    pluginName: string;
    conclusion: string;
    violations: unknown[];
    suppressedViolations?: {
      ruleName: string;
      reason?: string;
      violatingConstructs: { constructPath: string }[];
    }[];
  }[];
}

jest.setTimeout(600_000);

describe('cfn-guard (Control Tower proactive controls) over the reference stack', () => {
  const outdir = mkdtempSync(join(tmpdir(), 'hookflow-guard-'));
  let synthError = '';
  let report: Report;
  let template: string;
  beforeAll(() => {
    const app = new App({
      outdir,
      context: { 'aws:cdk:bundling-stacks': [], '@aws-cdk/core:validationReportJson': true },
    });
    const stack = new HookflowStack(app, 'Hookflow', {
      demo: true,
      env: { account: '123456789012', region: 'eu-west-1' },
    });
    Validations.of(app).addPlugins(new CfnGuardValidator());
    try {
      app.synth();
    } catch (error) {
      synthError = (error as Error).message;
    }
    report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as Report;
    template = join(outdir, stack.templateFile);
  });
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it('finds no rule failure that is not acknowledged with a reason', () => {
    const guard = report.pluginReports.find((r) => r.pluginName === 'cdk-validator-cfnguard')!;

    expect(synthError).toBe('');
    expect(guard).toMatchObject({ conclusion: 'success', violations: [] });
    for (const acknowledged of guard.suppressedViolations ?? []) {
      expect(acknowledged.reason ?? '').toMatch(/\w{3,}.{40,}/);
    }
  });

  it('passes every other rule that applies: counted by cfn-guard itself', () => {
    const guard = report.pluginReports.find((r) => r.pluginName === 'cdk-validator-cfnguard')!;
    const acknowledged = new Set((guard.suppressedViolations ?? []).map((v) => v.ruleName));
    const resources = new Set(
      (guard.suppressedViolations ?? []).flatMap((v) =>
        v.violatingConstructs.map((c) => `${v.ruleName} ${c.constructPath}`),
      ),
    );
    // The same binary and rules the plugin runs, asked for its full result: which rules passed, failed, did not apply
    // (each failure wrapped as {Rule: {name, checks}}, as the plugin reads it).
    const binary = join(plugin, 'bin', 'ubuntu', process.arch === 'arm64' ? 'aarch64' : 'x86_64', 'cfn-guard');
    let output: string;
    try {
      output = execFileSync(
        binary,
        [
          'validate',
          '--rules',
          rules,
          '--data',
          template,
          '--output-format',
          'json',
          '--structured',
          '--show-summary',
          'none',
        ],
        { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
      );
    } catch (error) {
      // cfn-guard exits non-zero when any rule fails; the failures are the acknowledged ones, checked above.
      output = (error as { stdout: string }).stdout;
    }
    const results = JSON.parse(output) as {
      compliant?: string[];
      not_compliant?: { Rule: { name: string } }[];
      not_applicable?: string[];
    }[];
    const passed = new Set(results.flatMap((r) => r.compliant ?? []));
    const failed = new Set(results.flatMap((r) => (r.not_compliant ?? []).map((c) => c.Rule.name)));
    const notApplicable = new Set(results.flatMap((r) => r.not_applicable ?? []));

    expect([...failed].sort()).toEqual([...acknowledged].sort());
    expect(passed.size).toBeGreaterThan(10);
    // The line the lead quotes (issue 14, "Done when").
    console.log(
      `cfn-guard (Control Tower rules, ${plugin.split('node_modules/')[1]}): ${passed.size} rules passed, ` +
        `${acknowledged.size} acknowledged with a reason (${resources.size} rule/resource pairs), ` +
        `${notApplicable.size} not applicable to this template`,
    );
  });

  it('fails the synth on a rule failure nobody acknowledged (the check is live)', () => {
    const app = new App({ outdir: mkdtempSync(join(tmpdir(), 'hookflow-guard-live-')) });
    const stack = new Stack(app, 'Live');
    new Queue(stack, 'NoDeadLetterQueue', { enforceSSL: true });
    Validations.of(app).addPlugins(new CfnGuardValidator());

    expect(() => app.synth()).toThrow(/sqs_dlq_check/);
    rmSync(app.outdir, { recursive: true, force: true });
  });
});
