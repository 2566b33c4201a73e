/**
 * A template value as cdk-nag names it in its findings: `Fn::GetAtt` as `<Id.Attr>`, `Ref` as `<Id>`, `Fn::Join`
 * joined, `Fn::Sub` and `Fn::ImportValue` as what they wrap (an import is named by its export). A person reads it the
 * same way, so warnings that show template values write them like this too.
 */
export function renderReference(node: unknown): string {
  if (typeof node === 'string') {
    return node.replace(/\$\{/g, '<').replace(/\}/g, '>');
  }
  if (node !== null && typeof node === 'object') {
    const intrinsic = node as Record<string, unknown>;
    if (Array.isArray(intrinsic['Fn::Join'])) {
      const [delimiter, items] = intrinsic['Fn::Join'] as [string, unknown[]];
      return items.map(renderReference).join(delimiter);
    }
    if (intrinsic['Fn::Sub'] !== undefined) {
      return renderReference(intrinsic['Fn::Sub']);
    }
    if (Array.isArray(intrinsic['Fn::GetAtt'])) {
      const [resource, attribute] = intrinsic['Fn::GetAtt'] as unknown[];
      return `<${renderReference(resource)}.${renderReference(attribute)}>`;
    }
    if (intrinsic['Fn::ImportValue'] !== undefined) {
      return renderReference(intrinsic['Fn::ImportValue']);
    }
    if (intrinsic.Ref !== undefined) {
      return `<${renderReference(intrinsic.Ref)}>`;
    }
  }
  return JSON.stringify(node);
}

/** A resolved template fragment, such as a policy statement, with each intrinsic in it written by `renderReference`. */
export function renderIntrinsics(node: unknown): unknown {
  if (Array.isArray(node)) {
    return node.map(renderIntrinsics);
  }
  if (node !== null && typeof node === 'object') {
    const keys = Object.keys(node);
    if (keys.length === 1 && (keys[0] === 'Ref' || keys[0].startsWith('Fn::'))) {
      return renderReference(node);
    }
    return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, renderIntrinsics(value)]));
  }
  return node;
}
