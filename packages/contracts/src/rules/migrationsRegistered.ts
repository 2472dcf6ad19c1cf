import { dirname, resolve } from "node:path";
import ts from "typescript";
import type { ParsedSource } from "../parseSource";
import { calleeName, functionName, literalString, outerParent, propertyNameText, propertyValue, unwrap, walk } from "../staticValues";
import type { Violation } from "../violation";

/** The call `@cspm/migrations` exports to declare a migration. */
const DEFINE = "defineMigration";
/** Calls whose array arguments register migrations. */
const REGISTERING_CALLS: readonly string[] = ["MigrationRunner", "registerMigrations"];
/** An exported array (or a function returning one) with such a name registers its elements. */
const REGISTRY_NAME = /migrations/i;
/** Only files mentioning migrations contribute definitions, registrations and arrays; all contribute imports/exports. */
const RELEVANT = /migration/i;
const MAX_DEPTH = 12;

/** One `defineMigration(…)` call. */
interface Definition {
  readonly source: ParsedSource;
  readonly call: ts.CallExpression;
  readonly id: string | undefined;
  readonly idNode: ts.Node;
  /** Why the id is unusable, if it is. */
  readonly idProblem: string | undefined;
  /** `file#local` of the variable or function that holds it, if any. */
  readonly handle: string | undefined;
  readonly holder: string | undefined;
}

/** What one module declares, imports and exports. */
interface ModuleFacts {
  readonly source: ParsedSource;
  readonly imports: Map<string, { module: string; name: string }>;
  readonly exports: Map<string, string>;
  readonly reexports: { module: string; name: string; as: string }[];
  /** Elements of top-level arrays and of arrays returned by top-level functions, by local name. */
  readonly contents: Map<string, ts.Expression[]>;
  readonly registrations: ts.Expression[];
  readonly definitions: Definition[];
}

function isDefineCall(node: ts.Node): node is ts.CallExpression {
  return ts.isCallExpression(node) && calleeName(node.expression) === DEFINE;
}

function hasExportModifier(node: ts.Node): { exported: boolean; isDefault: boolean } {
  const modifiers = ts.canHaveModifiers(node) ? (ts.getModifiers(node) ?? []) : [];
  return {
    exported: modifiers.some((m) => m.kind === ts.SyntaxKind.ExportKeyword),
    isDefault: modifiers.some((m) => m.kind === ts.SyntaxKind.DefaultKeyword),
  };
}

/** Array literals a function returns (not those of functions nested in it). */
function returnedArrays(fn: ts.SignatureDeclaration): ts.ArrayLiteralExpression[] {
  const arrays: ts.ArrayLiteralExpression[] = [];
  const body = (fn as { body?: ts.Node }).body;
  if (!body) return arrays;
  if (!ts.isBlock(body)) {
    const value = unwrap(body as ts.Expression);
    if (ts.isArrayLiteralExpression(value)) arrays.push(value);
    return arrays;
  }
  walk(body, (node) => {
    if (ts.isReturnStatement(node) && node.expression && ts.findAncestor(node, ts.isFunctionLike) === fn) {
      const value = unwrap(node.expression);
      if (ts.isArrayLiteralExpression(value)) arrays.push(value);
    }
  });
  return arrays;
}

function readDefinition(source: ParsedSource, call: ts.CallExpression): Definition {
  const argument = call.arguments[0] ? unwrap(call.arguments[0]) : undefined;
  let id: string | undefined;
  let idNode: ts.Node = call;
  let idProblem: string | undefined;
  if (!argument || !ts.isObjectLiteralExpression(argument)) {
    idProblem = `${DEFINE}() must be given an object literal with a string-literal id`;
  } else {
    const value = propertyValue(argument, "id");
    if (!value) idProblem = "migration has no id; give it a unique, non-empty string-literal id";
    else {
      idNode = value;
      id = literalString(value);
      if (id === undefined) idProblem = "migration id must be a string literal, so it is stable across releases and checkable";
      else if (id.trim() === "") idProblem = "migration id must not be empty";
    }
  }
  // The name the definition is reachable by: `const x = defineMigration(…)`, `export default …`, or a factory function.
  let holder: string | undefined;
  const { parent, child } = outerParent(call);
  if (parent && ts.isVariableDeclaration(parent) && parent.initializer === child && ts.isIdentifier(parent.name)) holder = parent.name.text;
  else if (parent && ts.isExportAssignment(parent)) holder = "default";
  else if (parent && (ts.isReturnStatement(parent) || (ts.isArrowFunction(parent) && parent.body === child))) {
    const fn = ts.isArrowFunction(parent) ? parent : ts.findAncestor(parent, ts.isFunctionLike);
    holder = fn ? functionName(fn) : undefined;
  }
  return {
    source,
    call,
    id: idProblem === undefined ? id : undefined,
    idNode,
    idProblem,
    handle: holder === undefined ? undefined : `${source.absolutePath}#${holder}`,
    holder,
  };
}

function collectFacts(source: ParsedSource): ModuleFacts {
  const facts: ModuleFacts = {
    source,
    imports: new Map(),
    exports: new Map(),
    reexports: [],
    contents: new Map(),
    registrations: [],
    definitions: [],
  };
  const relevant = RELEVANT.test(source.sourceFile.text);
  for (const statement of source.sourceFile.statements) {
    if (ts.isImportDeclaration(statement) && statement.importClause && ts.isStringLiteral(statement.moduleSpecifier)) {
      const module = statement.moduleSpecifier.text;
      const clause = statement.importClause;
      if (clause.name) facts.imports.set(clause.name.text, { module, name: "default" });
      const bindings = clause.namedBindings;
      if (bindings && ts.isNamespaceImport(bindings)) facts.imports.set(bindings.name.text, { module, name: "*" });
      if (bindings && ts.isNamedImports(bindings)) {
        for (const element of bindings.elements) {
          facts.imports.set(element.name.text, {
            module,
            name: (element.propertyName ? propertyNameText(element.propertyName) : undefined) ?? element.name.text,
          });
        }
      }
    } else if (ts.isExportDeclaration(statement)) {
      const module =
        statement.moduleSpecifier && ts.isStringLiteral(statement.moduleSpecifier) ? statement.moduleSpecifier.text : undefined;
      const clause = statement.exportClause;
      if (!clause && module) facts.reexports.push({ module, name: "*", as: "*" });
      if (clause && ts.isNamedExports(clause)) {
        for (const element of clause.elements) {
          const local = (element.propertyName ? propertyNameText(element.propertyName) : undefined) ?? element.name.text;
          if (module) facts.reexports.push({ module, name: local, as: element.name.text });
          else facts.exports.set(element.name.text, local);
        }
      }
    } else if (ts.isExportAssignment(statement)) {
      const value = unwrap(statement.expression);
      if (ts.isIdentifier(value)) facts.exports.set("default", value.text);
      else {
        facts.exports.set("default", "default");
        if (relevant && ts.isArrayLiteralExpression(value)) facts.contents.set("default", [...value.elements]);
      }
    } else if (ts.isVariableStatement(statement)) {
      const { exported } = hasExportModifier(statement);
      for (const declaration of statement.declarationList.declarations) {
        if (!ts.isIdentifier(declaration.name)) continue;
        const name = declaration.name.text;
        if (exported) facts.exports.set(name, name);
        const initializer = declaration.initializer ? unwrap(declaration.initializer) : undefined;
        if (!relevant || !initializer) continue;
        if (ts.isArrayLiteralExpression(initializer)) facts.contents.set(name, [...initializer.elements]);
        else if (ts.isArrowFunction(initializer) || ts.isFunctionExpression(initializer)) {
          facts.contents.set(
            name,
            returnedArrays(initializer).flatMap((array) => [...array.elements]),
          );
        }
      }
    } else if (ts.isFunctionDeclaration(statement) || ts.isClassDeclaration(statement)) {
      const { exported, isDefault } = hasExportModifier(statement);
      const name = statement.name?.text ?? (isDefault ? "default" : undefined);
      if (!name) continue;
      if (exported) facts.exports.set(isDefault ? "default" : name, name);
      if (relevant && ts.isFunctionDeclaration(statement))
        facts.contents.set(
          name,
          returnedArrays(statement).flatMap((array) => [...array.elements]),
        );
    }
  }
  if (!relevant) return facts;
  walk(source.sourceFile, (node) => {
    if (isDefineCall(node)) facts.definitions.push(readDefinition(source, node));
    if (ts.isPropertyAssignment(node) && propertyNameText(node.name) === "migrations") facts.registrations.push(node.initializer);
    if (ts.isShorthandPropertyAssignment(node) && node.name.text === "migrations") facts.registrations.push(node.name);
    if ((ts.isCallExpression(node) || ts.isNewExpression(node)) && REGISTERING_CALLS.includes(calleeName(node.expression) ?? "")) {
      for (const argument of node.arguments ?? []) if (!ts.isObjectLiteralExpression(unwrap(argument))) facts.registrations.push(argument);
    }
  });
  return facts;
}

const RESOLVE_EXTENSIONS = [".ts", ".tsx", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs"];

/** Resolves a relative import to a checked file; bare specifiers (packages) are not followed. */
function resolveModule(from: string, specifier: string, modules: ReadonlyMap<string, ModuleFacts>): string | undefined {
  if (!specifier.startsWith(".")) return undefined;
  const base = resolve(dirname(from), specifier);
  const stem = base.replace(/\.(?:[cm]?js|jsx)$/, "");
  const candidates = [base, ...RESOLVE_EXTENSIONS.map((e) => stem + e), ...RESOLVE_EXTENSIONS.map((e) => `${base}/index${e}`)];
  return candidates.find((candidate) => modules.has(candidate));
}

/**
 * Rule `migrations-registered`: every `defineMigration({ id })` has a non-empty string-literal id,
 * ids are unique across the checked files, and the variable (or factory function) holding it is
 * reached from a registration: an array under a `migrations:` key, an argument of
 * `new MigrationRunner(…)`/`registerMigrations(…)`, or an exported array/function named like
 * `*migrations*`, following imports, re-exports, spreads and factory calls between checked files.
 */
export function checkMigrationsRegistered(sources: readonly ParsedSource[]): Violation[] {
  const modules = new Map<string, ModuleFacts>();
  for (const source of sources) modules.set(source.absolutePath, collectFacts(source));

  const resolveExport = (file: string | undefined, name: string, depth: number): string | undefined => {
    const facts = file ? modules.get(file) : undefined;
    if (!file || !facts || depth > MAX_DEPTH) return undefined;
    const local = facts.exports.get(name);
    if (local !== undefined) return resolveLocal(file, local, depth + 1);
    for (const reexport of facts.reexports) {
      if (reexport.as === name) return resolveExport(resolveModule(file, reexport.module, modules), reexport.name, depth + 1);
    }
    for (const reexport of facts.reexports) {
      if (reexport.as !== "*") continue;
      const found = resolveExport(resolveModule(file, reexport.module, modules), name, depth + 1);
      if (found) return found;
    }
    return undefined;
  };
  const resolveLocal = (file: string, name: string, depth: number): string | undefined => {
    const imported = modules.get(file)?.imports.get(name);
    if (!imported) return `${file}#${name}`;
    if (imported.name === "*") return undefined;
    return resolveExport(resolveModule(file, imported.module, modules), imported.name, depth + 1);
  };

  const registered = new Set<string>();
  const registeredCalls = new Set<ts.CallExpression>();
  const queue: { file: string; expression: ts.Expression }[] = [];
  const addHandle = (handle: string | undefined): void => {
    if (!handle || registered.has(handle)) return;
    registered.add(handle);
    const at = handle.lastIndexOf("#");
    const file = handle.slice(0, at);
    for (const expression of modules.get(file)?.contents.get(handle.slice(at + 1)) ?? []) queue.push({ file, expression });
  };
  for (const [file, facts] of modules) {
    for (const expression of facts.registrations) queue.push({ file, expression });
    for (const name of facts.exports.keys()) if (REGISTRY_NAME.test(name)) addHandle(resolveExport(file, name, 0));
  }
  while (queue.length > 0) {
    const { file, expression } = queue.pop() as { file: string; expression: ts.Expression };
    const value = ts.isSpreadElement(expression) ? unwrap(expression.expression) : unwrap(expression);
    if (ts.isArrayLiteralExpression(value)) for (const element of value.elements) queue.push({ file, expression: element });
    else if (
      ts.isBinaryExpression(value) &&
      [ts.SyntaxKind.QuestionQuestionToken, ts.SyntaxKind.BarBarToken].includes(value.operatorToken.kind)
    ) {
      queue.push({ file, expression: value.left }, { file, expression: value.right });
    } else if (ts.isConditionalExpression(value)) queue.push({ file, expression: value.whenTrue }, { file, expression: value.whenFalse });
    else if (isDefineCall(value)) registeredCalls.add(value);
    else if (ts.isCallExpression(value) || ts.isNewExpression(value)) {
      // A factory call (`consolidate(deps)`) registers what the factory returns; wrapped arguments count too.
      queue.push({ file, expression: value.expression });
      for (const argument of value.arguments ?? []) queue.push({ file, expression: argument });
    } else if (ts.isIdentifier(value)) addHandle(resolveLocal(file, value.text, 0));
    else if (ts.isPropertyAccessExpression(value) && ts.isIdentifier(value.expression)) {
      const namespace = modules.get(file)?.imports.get(value.expression.text);
      if (namespace?.name === "*") addHandle(resolveExport(resolveModule(file, namespace.module, modules), value.name.text, 0));
    }
  }

  const violations: Violation[] = [];
  const push = (violation: Violation | undefined): void => {
    if (violation) violations.push(violation);
  };
  const firstById = new Map<string, Definition>();
  const definitions = [...modules.values()].flatMap((facts) => facts.definitions);
  definitions.sort((a, b) => (a.source.file === b.source.file ? a.call.pos - b.call.pos : a.source.file < b.source.file ? -1 : 1));
  for (const definition of definitions) {
    const { source } = definition;
    if (definition.idProblem) push(source.violation("migrations-registered", definition.idNode, definition.idProblem));
    if (definition.id !== undefined) {
      const first = firstById.get(definition.id);
      if (first) {
        const at = first.source.sourceFile.getLineAndCharacterOfPosition(first.idNode.getStart(first.source.sourceFile));
        push(
          source.violation(
            "migrations-registered",
            definition.idNode,
            `duplicate migration id "${definition.id}" (first defined at ${first.source.file}:${at.line + 1}); ids must be unique`,
          ),
        );
      } else firstById.set(definition.id, definition);
    }
    const isRegistered = registeredCalls.has(definition.call) || (definition.handle !== undefined && registered.has(definition.handle));
    if (!isRegistered) {
      const what = definition.id === undefined ? "a migration" : `migration "${definition.id}"`;
      const how =
        definition.holder === undefined
          ? "assign it to a variable (or put it directly in the registered array)"
          : `reference ${definition.holder} from an array passed as migrations:, to new MigrationRunner(…)/registerMigrations(…), or in an exported *MIGRATIONS* array`;
      push(source.violation("migrations-registered", definition.call, `${what} is defined but never registered with the runner; ${how}`));
    }
  }
  return violations;
}
