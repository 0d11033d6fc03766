import { Stack, Token } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { createHash } from 'node:crypto';

/**
 * A physical name unique per stack: `<stack name>-<base>`. CloudFormation makes stack names unique per account
 * and region, so two hookflow stacks side by side never collide, as fixed names did. Too long a name keeps its
 * start and ends in a hash of the whole, so it stays unique and stable. When the stack name is only known at
 * deploy time (a nested stack's), CloudFormation joins it in if the name has room for any stack name (256
 * characters), and otherwise the result is undefined: CloudFormation then names the resource itself.
 */
export function stackScopedName(scope: Construct, base: string, maxLength: number): string | undefined {
  const stackName = Stack.of(scope).stackName;
  if (Token.isUnresolved(stackName)) return maxLength >= 256 + 1 + base.length ? `${stackName}-${base}` : undefined;
  const name = `${stackName}-${base}`;
  if (name.length <= maxLength) return name;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 8);
  return `${name.slice(0, maxLength - hash.length - 1)}-${hash}`;
}
