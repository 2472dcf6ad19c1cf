import ts from "typescript";
import type { ParsedSource } from "../parseSource";
import type { RegistryModel } from "../registryModel";
import { forEachLiteralText, walk } from "../staticValues";
import type { Violation } from "../violation";

/** Property names written as identifiers: `{ cloud_accounts: 1 }`, `x.cloud_accounts`, class fields. */
function identifierPropertyName(node: ts.Node): ts.Identifier | undefined {
  if (!ts.isIdentifier(node)) return undefined;
  const parent = node.parent;
  if (
    (ts.isPropertyAccessExpression(parent) && parent.name === node) ||
    ((ts.isPropertyAssignment(parent) ||
      ts.isShorthandPropertyAssignment(parent) ||
      ts.isPropertyDeclaration(parent) ||
      ts.isPropertySignature(parent) ||
      ts.isMethodDeclaration(parent) ||
      ts.isMethodSignature(parent) ||
      ts.isGetAccessorDeclaration(parent) ||
      ts.isSetAccessorDeclaration(parent)) &&
      parent.name === node)
  ) {
    return node;
  }
  return undefined;
}

/**
 * Rule `no-legacy-collection`: flags a string/template literal one of whose dot-separated segments is
 * a legacy collection name (so `"cloud_accounts"` and `"cspm_cloud_security.cloud_accounts"`), and
 * property keys or accessed properties with that name. Comments and longer names
 * (`enhanced_cloud_accounts`) are not flagged.
 */
export function checkNoLegacyCollection(source: ParsedSource, registry: RegistryModel): Violation[] {
  const violations: Violation[] = [];
  const report = (node: ts.Node, name: string): void => {
    const legacy = registry.legacy.get(name);
    if (!legacy) return;
    const violation = source.violation(
      "no-legacy-collection",
      node,
      `names the legacy collection "${legacy.name}"; use "${legacy.replacement}" (only the registry and migrations may name it)`,
    );
    if (violation) violations.push(violation);
  };
  forEachLiteralText(source.sourceFile, (node, text) => {
    const hit = text.split(".").find((segment) => registry.legacy.has(segment));
    if (hit !== undefined) report(node, hit);
  });
  walk(source.sourceFile, (node) => {
    const name = identifierPropertyName(node);
    if (name && registry.legacy.has(name.text)) report(name, name.text);
  });
  return violations;
}
