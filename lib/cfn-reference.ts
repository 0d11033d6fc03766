/**
 * A resolved CloudFormation value as cdk-nag flattens it when it names a finding: `AwsSolutions-IAM5[Resource::…]`
 * carries the resource this way, so an acknowledgement must spell it the same. cdk-nag's own function lives in
 * cdk-nag/lib/utils (not part of its public API) and cdk-nag is only a devDependency of hookflow: a construct
 * importing it at run time failed in every app that does not install cdk-nag (issue 17). The same rules, with
 * test/infra/cfn-reference.test.ts holding them to cdk-nag's on the values hookflow produces and the other forms.
 */
export function flattenCfnReference(reference: unknown): string {
  if (reference === undefined) return '';
  // Fn::Sub's `${Name}` becomes `<Name>`.
  if (typeof reference === 'string') return reference.replace(/\$\{/g, '<').replace(/\}/g, '>');
  const node = (reference ?? {}) as Record<string, unknown>;
  if (node['Fn::Join']) {
    const [delimiter, items] = node['Fn::Join'] as [string, unknown[]];
    return items.map(flattenCfnReference).join(delimiter);
  }
  if (node['Fn::Sub']) return flattenCfnReference(node['Fn::Sub']);
  if (node['Fn::GetAtt']) {
    const [resource, attribute] = node['Fn::GetAtt'] as [unknown, unknown];
    return `<${flattenCfnReference(resource)}.${flattenCfnReference(attribute)}>`;
  }
  if (node['Fn::ImportValue']) return flattenCfnReference(node['Fn::ImportValue']);
  if (node.Ref) return `<${flattenCfnReference(node.Ref)}>`;
  return JSON.stringify(reference);
}
