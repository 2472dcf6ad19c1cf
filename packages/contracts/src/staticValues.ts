import ts from "typescript";

/**
 * Reading what an expression statically is: its string value, the name of a property or callee,
 * the declaration an identifier refers to. Everything is syntactic (no type checker), so it is
 * fast and needs no tsconfig, and it is an approximation that the rules document.
 */

/** Strips parentheses, `as`, `satisfies`, `<T>x`, `x!` and `await`. */
export function unwrap(node: ts.Expression): ts.Expression {
  let current = node;
  for (;;) {
    if (
      ts.isParenthesizedExpression(current) ||
      ts.isAsExpression(current) ||
      ts.isSatisfiesExpression(current) ||
      ts.isTypeAssertionExpression(current) ||
      ts.isNonNullExpression(current) ||
      ts.isAwaitExpression(current)
    ) {
      current = current.expression;
    } else {
      return current;
    }
  }
}

/** The nearest ancestor that is not a wrapper `unwrap` would strip, and the child it was reached from. */
export function outerParent(node: ts.Node): { parent: ts.Node | undefined; child: ts.Node } {
  let child = node;
  let parent = node.parent as ts.Node | undefined;
  while (
    parent &&
    (ts.isParenthesizedExpression(parent) ||
      ts.isAsExpression(parent) ||
      ts.isSatisfiesExpression(parent) ||
      ts.isTypeAssertionExpression(parent) ||
      ts.isNonNullExpression(parent) ||
      ts.isAwaitExpression(parent))
  ) {
    child = parent;
    parent = parent.parent as ts.Node | undefined;
  }
  return { parent, child };
}

/** The value of a string literal or a template literal without substitutions. */
export function literalString(node: ts.Node | undefined): string | undefined {
  if (node && (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node))) return node.text;
  return undefined;
}

/** The static text of a property name: identifier, string, number or computed string literal. */
export function propertyNameText(name: ts.PropertyName | ts.MemberName | undefined): string | undefined {
  if (!name) return undefined;
  if (ts.isIdentifier(name) || ts.isPrivateIdentifier(name) || ts.isStringLiteral(name) || ts.isNumericLiteral(name)) return name.text;
  if (ts.isNoSubstitutionTemplateLiteral(name)) return name.text;
  if (ts.isComputedPropertyName(name)) return literalString(unwrap(name.expression));
  return undefined;
}

/** The property of an object literal with a given static name. */
export function findProperty(object: ts.ObjectLiteralExpression, name: string): ts.ObjectLiteralElementLike | undefined {
  return object.properties.find((property) => propertyNameText(property.name) === name);
}

/** The value expression of `name: value` (or the identifier of `{ name }`) in an object literal. */
export function propertyValue(object: ts.ObjectLiteralExpression, name: string): ts.Expression | undefined {
  const property = findProperty(object, name);
  if (!property) return undefined;
  if (ts.isPropertyAssignment(property)) return unwrap(property.initializer);
  if (ts.isShorthandPropertyAssignment(property)) return property.name;
  return undefined;
}

/** The last name of a callee: `defineMigration` for `defineMigration(…)`, `m.defineMigration(…)` and `new X.defineMigration(…)`. */
export function calleeName(expression: ts.Expression): string | undefined {
  const callee = unwrap(expression);
  if (ts.isIdentifier(callee)) return callee.text;
  if (ts.isPropertyAccessExpression(callee)) return callee.name.text;
  if (ts.isElementAccessExpression(callee)) return literalString(unwrap(callee.argumentExpression));
  return undefined;
}

/** Declarations that bind a name in a scope: variables, functions, classes, parameters and imports. */
export type Binding =
  | { readonly kind: "variable"; readonly declaration: ts.VariableDeclaration }
  | { readonly kind: "function"; readonly declaration: ts.FunctionDeclaration | ts.ClassDeclaration }
  | { readonly kind: "parameter"; readonly declaration: ts.ParameterDeclaration }
  | { readonly kind: "import"; readonly declaration: ts.ImportSpecifier | ts.ImportClause | ts.NamespaceImport };

function bindingInStatements(statements: readonly ts.Statement[], name: string): Binding | undefined {
  for (const statement of statements) {
    if (ts.isVariableStatement(statement)) {
      for (const declaration of statement.declarationList.declarations) {
        if (ts.isIdentifier(declaration.name) && declaration.name.text === name) return { kind: "variable", declaration };
      }
    } else if ((ts.isFunctionDeclaration(statement) || ts.isClassDeclaration(statement)) && statement.name?.text === name) {
      return { kind: "function", declaration: statement };
    } else if (ts.isImportDeclaration(statement) && statement.importClause) {
      const clause = statement.importClause;
      if (clause.name?.text === name) return { kind: "import", declaration: clause };
      const bindings = clause.namedBindings;
      if (bindings && ts.isNamespaceImport(bindings) && bindings.name.text === name) return { kind: "import", declaration: bindings };
      if (bindings && ts.isNamedImports(bindings)) {
        const specifier = bindings.elements.find((element) => element.name.text === name);
        if (specifier) return { kind: "import", declaration: specifier };
      }
    }
  }
  return undefined;
}

/**
 * The declaration an identifier refers to, found by walking up the enclosing blocks, function
 * parameters and the file's top level. Destructuring and `var` hoisting are not followed.
 */
export function resolveBinding(identifier: ts.Identifier): Binding | undefined {
  const name = identifier.text;
  let scope: ts.Node | undefined = identifier.parent;
  while (scope) {
    if (ts.isBlock(scope) || ts.isSourceFile(scope) || ts.isModuleBlock(scope) || ts.isCaseClause(scope) || ts.isDefaultClause(scope)) {
      const found = bindingInStatements(scope.statements, name);
      if (found) return found;
    }
    if (ts.isFunctionLike(scope)) {
      const parameter = scope.parameters.find((p) => ts.isIdentifier(p.name) && p.name.text === name);
      if (parameter) return { kind: "parameter", declaration: parameter };
    }
    if (
      (ts.isForStatement(scope) || ts.isForOfStatement(scope) || ts.isForInStatement(scope)) &&
      scope.initializer &&
      ts.isVariableDeclarationList(scope.initializer)
    ) {
      const declaration = scope.initializer.declarations.find((d) => ts.isIdentifier(d.name) && d.name.text === name);
      if (declaration) return { kind: "variable", declaration };
    }
    scope = scope.parent as ts.Node | undefined;
  }
  return undefined;
}

/** The initializer of a `const`/`let` an identifier refers to, unwrapped; `undefined` otherwise. */
export function initializerOf(identifier: ts.Identifier): ts.Expression | undefined {
  const binding = resolveBinding(identifier);
  if (binding?.kind !== "variable" || !binding.declaration.initializer) return undefined;
  return unwrap(binding.declaration.initializer);
}

/** A string literal, or an identifier bound to a `const` whose initializer is one (one hop). */
export function staticString(node: ts.Expression | undefined): string | undefined {
  if (!node) return undefined;
  const expression = unwrap(node);
  const direct = literalString(expression);
  if (direct !== undefined) return direct;
  if (ts.isIdentifier(expression)) {
    const binding = resolveBinding(expression);
    if (
      binding?.kind === "variable" &&
      binding.declaration.initializer &&
      ts.getCombinedNodeFlags(binding.declaration) & ts.NodeFlags.Const
    ) {
      return literalString(unwrap(binding.declaration.initializer));
    }
  }
  return undefined;
}

/** The name a function is called by: its own, or the variable/property/method it is assigned to. */
export function functionName(fn: ts.SignatureDeclaration): string | undefined {
  if (
    (ts.isFunctionDeclaration(fn) || ts.isMethodDeclaration(fn) || ts.isFunctionExpression(fn)) &&
    fn.name &&
    !ts.isComputedPropertyName(fn.name)
  ) {
    return propertyNameText(fn.name);
  }
  const { parent } = outerParent(fn);
  if (
    parent &&
    (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent)) &&
    ts.isIdentifier(parent.name)
  ) {
    return parent.name.text;
  }
  return undefined;
}

/** Calls `visit` on every node of a file, depth first. */
export function walk(node: ts.Node, visit: (node: ts.Node) => void): void {
  visit(node);
  ts.forEachChild(node, (child) => walk(child, visit));
}

/**
 * Calls `visit` with every piece of literal text in a file: whole string and no-substitution
 * template literals (`part: false`) and the literal parts of templates with substitutions (`part: true`).
 */
export function forEachLiteralText(sourceFile: ts.SourceFile, visit: (node: ts.Node, text: string, part: boolean) => void): void {
  walk(sourceFile, (node) => {
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) visit(node, node.text, false);
    else if (ts.isTemplateHead(node) || ts.isTemplateMiddle(node) || ts.isTemplateTail(node)) visit(node, node.text, true);
  });
}
