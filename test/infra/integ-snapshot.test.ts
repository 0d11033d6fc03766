import { rmSync } from 'node:fs';
import { canIsolateNetwork, readSnapshot, snapshotOf, synthIntegApp } from '../integ/snapshot';

jest.setTimeout(300_000);

interface AssertionResource {
  Type: string;
  Properties: { parameters?: { url?: unknown }; expected?: string };
}

/**
 * The CDK integration test's snapshot (test/integ/integ.hookflow.ts), checked offline: the integ app
 * synthesizes with no AWS credentials (and, where the machine allows, no network), and its templates are the
 * committed ones. A difference means lib/ changed: `npm run integ:update`, review the diff, commit it.
 */
describe('CDK integration test snapshot (offline)', () => {
  let outDir: string;
  const isolated = canIsolateNetwork();
  beforeAll(() => {
    outDir = synthIntegApp({ isolateNetwork: isolated });
  });
  afterAll(() => {
    if (outDir !== undefined) rmSync(outDir, { recursive: true, force: true });
  });

  it('synthesizes the same templates and integ manifest as the committed snapshot', () => {
    const committed = readSnapshot();

    expect(Object.keys(committed)).not.toHaveLength(0);
    expect(snapshotOf(outDir)).toEqual(committed);
  });

  it('asserts, once deployed, a 202 from a flow trigger, a callback, and two executions that succeed', () => {
    // Arrange: the assertion stack's custom resources, with what each one calls and expects.
    const [, stack] = Object.entries(snapshotOf(outDir)).find(([name]) => name.includes('DeployAssert'))!;
    const resources = Object.values((stack as { Resources: Record<string, AssertionResource> }).Resources);
    const assertions = resources
      .filter((resource) => resource.Type.startsWith('Custom::DeployAssert@'))
      .map((resource) => ({
        type: resource.Type,
        url: JSON.stringify(resource.Properties.parameters?.url ?? ''),
        expected: resource.Properties.expected === undefined ? undefined : JSON.parse(resource.Properties.expected),
      }));

    // Assert
    expect(assertions).toContainEqual({
      type: 'Custom::DeployAssert@HttpCall',
      url: expect.stringContaining('/flows/hello-standard/trigger'),
      expected: { $ObjectLike: expect.objectContaining({ status: 202 }) },
    });
    expect(assertions).toContainEqual({
      type: 'Custom::DeployAssert@HttpCall',
      url: expect.stringContaining('/api/v2/callback?topic=approval&ref='),
      expected: { $ObjectLike: { ok: true } },
    });
    const succeeded = assertions.filter(
      (a) => a.type.endsWith('describeExecution') && a.expected?.$ObjectLike?.status === 'SUCCEEDED',
    );
    expect(succeeded).toHaveLength(2);
  });
});
