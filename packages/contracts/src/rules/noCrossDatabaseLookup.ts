import ts from "typescript";
import type { ParsedSource } from "../parseSource";
import { stageTarget } from "@cspm/registry";
import type { RegistryModel } from "../registryModel";
import {
  calleeName,
  functionName,
  initializerOf,
  outerParent,
  propertyNameText,
  propertyValue,
  resolveBinding,
  staticString,
  unwrap,
  walk,
} from "../staticValues";
import type { Violation } from "../violation";

/** Stages that read another collection and so must stay inside the pipeline's database. */
const JOIN_STAGES: readonly string[] = ["$lookup", "$graphLookup", "$unionWith"];
/** How far use sites and call chains are followed through variables and builder functions. */
const MAX_DEPTH = 6;
/** `getCloudSecurityDb`, `cloudSecurityDb`, `platformDatabase`: a name whose stem is a database. */
const DATABASE_STEM = /^(?:get)?([A-Za-z][A-Za-z0-9_]*?)_?(?:Db|DB|Database)$/;

/** Keys of an options object that say where a pipeline runs (`{ collection: "prowler_findings", pipeline }`). */
const LOCATION_KEYS = /^(?:db|database|databaseName|databaseKey|collection|collectionName|coll)$/i;

/** One collection a join stage reads. */
interface JoinTarget {
  readonly stage: string;
  readonly node: ts.Node;
  readonly collection: string | undefined;
  /** Registry key named by an explicit `{ db, coll }` form. */
  readonly database: string | undefined;
  /** Registry key of the database the stage reads: the explicit `db`, else the collection's owner. */
  readonly owner: string | undefined;
}

/** A database the pipeline runs on, and the code that says so (for messages). */
interface DatabaseEvidence {
  readonly key: string;
  readonly why: string;
}

type Call = ts.CallExpression | ts.NewExpression;

function isJoinStageObject(node: ts.Node): node is ts.ObjectLiteralExpression {
  return ts.isObjectLiteralExpression(node) && node.properties.some((p) => JOIN_STAGES.includes(propertyNameText(p.name) ?? ""));
}

/** An object literal, directly or through a `const` that holds one. */
function objectOf(expression: ts.Expression | undefined): ts.ObjectLiteralExpression | undefined {
  if (!expression) return undefined;
  const value = unwrap(expression);
  if (ts.isObjectLiteralExpression(value)) return value;
  if (ts.isIdentifier(value)) {
    const initializer = initializerOf(value);
    if (initializer && ts.isObjectLiteralExpression(initializer)) return initializer;
  }
  return undefined;
}

/**
 * The registry key a database expression names: a key/alias/physical name string,
 * `DatabaseRegistry.CLOUD_SECURITY`, or `DatabaseRegistry.databaseName("CLOUD_SECURITY", …)`.
 */
function databaseKeyOfExpression(expression: ts.Expression | undefined, registry: RegistryModel): string | undefined {
  if (!expression) return undefined;
  const value = unwrap(expression);
  const text = staticString(value);
  if (text !== undefined) {
    const key = registry.databaseKeyOf(text);
    if (key) return key;
    // An environment-prefixed physical name ("t_1_cspm_cloud_security").
    const name = [...registry.databaseNames].find((n) => text.endsWith(`_${n}`));
    return name === undefined ? undefined : registry.databaseKeyOf(name);
  }
  // `DatabaseRegistry.CLOUD_SECURITY`: only registry keys, so `options.compliance` is not mistaken for the alias.
  if (ts.isPropertyAccessExpression(value))
    return registry.databaseKeyOf(value.name.text) === value.name.text ? value.name.text : undefined;
  if (ts.isCallExpression(value) && calleeName(value.expression) === "databaseName")
    return databaseKeyOfExpression(value.arguments[0], registry);
  return undefined;
}

/** Not a static value: stands for anything the check cannot read (a variable, a call). */
const UNKNOWN = Symbol("unknown");

/** The static shape of a stage spec: string literals, object literals of them (one `{ db, coll }` level), else UNKNOWN. */
function staticShape(expression: ts.Expression | undefined, depth = 0): unknown {
  if (!expression) return undefined;
  const value = unwrap(expression);
  const text = staticString(value);
  if (text !== undefined) return text;
  const object = depth < 2 ? objectOf(value) : undefined;
  if (!object) return UNKNOWN;
  const shape: Record<string, unknown> = {};
  for (const property of object.properties) {
    const name = propertyNameText(property.name);
    if (name !== undefined && ts.isPropertyAssignment(property)) shape[name] = staticShape(property.initializer, depth + 1);
  }
  return shape;
}

/** The node of a spec that holds `field` (`"from"`, `"coll"`, `"db"`, or `""` for the spec itself). */
function nodeOf(spec: ts.Expression, field: string, inner: "db" | "coll"): ts.Node {
  if (field === "") return spec;
  const object = objectOf(spec);
  const holder = object ? propertyValue(object, field) : undefined;
  if (!holder) return spec;
  const nested = objectOf(holder);
  return (nested && propertyValue(nested, inner)) ?? holder;
}

/** The collections one stage object's join stages name, read with `stageTarget` of `@cspm/registry` (the run-time guard's reading). */
function joinTargets(stageObject: ts.ObjectLiteralExpression, registry: RegistryModel): JoinTarget[] {
  const targets: JoinTarget[] = [];
  for (const property of stageObject.properties) {
    const stage = propertyNameText(property.name);
    if (!stage || !JOIN_STAGES.includes(stage) || !ts.isPropertyAssignment(property)) continue;
    const spec = unwrap(property.initializer);
    const target = stageTarget(stage, staticShape(spec));
    if (target === undefined) continue;
    const collection = typeof target.collection === "string" ? target.collection : undefined;
    if (collection === undefined && target.collection !== undefined && target.database === undefined) continue;
    const dbText = typeof target.database === "string" ? target.database : undefined;
    const dbExpression = target.database === undefined ? undefined : (nodeOf(spec, target.field, "db") as ts.Expression | undefined);
    const database =
      dbExpression === undefined
        ? undefined
        : (databaseKeyOfExpression(dbExpression, registry) ?? (dbText ? registry.databaseKeyOf(dbText) : undefined));
    const owner = database ?? (collection === undefined ? undefined : registry.ownerOf(collection));
    const node = target.database !== undefined && dbExpression ? dbExpression : nodeOf(spec, target.field, "coll");
    targets.push({ stage, node, collection, database, owner });
  }
  return targets;
}

/**
 * The outermost literal a join stage belongs to: its pipeline array, climbing out of
 * `$lookup.pipeline`, `$unionWith.pipeline` and `$facet` sub-pipelines (which share the database).
 */
function pipelineRoot(stageObject: ts.ObjectLiteralExpression): ts.Expression {
  let current: ts.Expression = stageObject;
  for (;;) {
    const { parent, child } = outerParent(current);
    if (!parent) return current;
    if (ts.isObjectLiteralExpression(current) && ts.isArrayLiteralExpression(parent)) {
      current = parent;
      continue;
    }
    if (ts.isArrayLiteralExpression(current) && ts.isPropertyAssignment(parent) && parent.initializer === child) {
      const key = propertyNameText(parent.name);
      const holder = outerParent(parent.parent).parent;
      if (holder && ts.isPropertyAssignment(holder) && ts.isObjectLiteralExpression(holder.parent)) {
        const holderKey = propertyNameText(holder.name) ?? "";
        if ((key === "pipeline" && JOIN_STAGES.includes(holderKey)) || holderKey === "$facet") {
          current = holder.parent;
          continue;
        }
      }
    }
    return current;
  }
}

/** A `const pipeline = [...]` or `pipeline.push({ $lookup })` ties a literal to a variable; otherwise the literal stands alone. */
function groupKeyOf(root: ts.Expression): ts.Node {
  const { parent, child } = outerParent(root);
  if (parent && ts.isVariableDeclaration(parent) && parent.initializer === child && ts.isIdentifier(parent.name)) return parent;
  if (parent && ts.isCallExpression(parent) && parent.arguments.includes(child as ts.Expression)) {
    const callee = unwrap(parent.expression);
    if (ts.isPropertyAccessExpression(callee) && ["push", "unshift", "splice"].includes(callee.name.text)) {
      const receiver = unwrap(callee.expression);
      if (ts.isIdentifier(receiver)) {
        const binding = resolveBinding(receiver);
        if (binding?.kind === "variable") return binding.declaration;
      }
    }
  }
  return root;
}

/** The identifiers of a file that refer to one declaration. */
function referencesTo(declaration: ts.VariableDeclaration | ts.FunctionDeclaration, sourceFile: ts.SourceFile): ts.Identifier[] {
  const name = declaration.name;
  if (!name || !ts.isIdentifier(name)) return [];
  const references: ts.Identifier[] = [];
  walk(sourceFile, (node) => {
    if (ts.isIdentifier(node) && node !== name && node.text === name.text && resolveBinding(node)?.declaration === declaration)
      references.push(node);
  });
  return references;
}

/** Every call `name(…)` or `x.name(…)` in the file. */
function callsNamed(name: string, sourceFile: ts.SourceFile): ts.CallExpression[] {
  const calls: ts.CallExpression[] = [];
  walk(sourceFile, (node) => {
    if (ts.isCallExpression(node) && calleeName(node.expression) === name) calls.push(node);
  });
  return calls;
}

/**
 * The calls a pipeline value ends up in: as an argument (directly, spread into another array, or as a
 * property of an options object), through variables, and through functions that return it.
 */
function useSites(node: ts.Node, sourceFile: ts.SourceFile, depth: number, seen: Set<ts.Node>): Call[] {
  if (depth > MAX_DEPTH || seen.has(node)) return [];
  seen.add(node);
  if (ts.isVariableDeclaration(node) || ts.isFunctionDeclaration(node)) {
    return referencesTo(node, sourceFile).flatMap((reference) => useSites(reference, sourceFile, depth + 1, seen));
  }
  const { parent, child } = outerParent(node);
  if (!parent) return [];
  if ((ts.isCallExpression(parent) || ts.isNewExpression(parent)) && parent.arguments?.includes(child as ts.Expression)) return [parent];
  if (ts.isSpreadElement(parent) && ts.isArrayLiteralExpression(parent.parent)) return useSites(parent.parent, sourceFile, depth + 1, seen);
  if (ts.isArrayLiteralExpression(parent)) return useSites(parent, sourceFile, depth + 1, seen);
  if ((ts.isPropertyAssignment(parent) || ts.isShorthandPropertyAssignment(parent)) && ts.isObjectLiteralExpression(parent.parent)) {
    return useSites(parent.parent, sourceFile, depth + 1, seen);
  }
  if (ts.isVariableDeclaration(parent) && parent.initializer === child) return useSites(parent, sourceFile, depth + 1, seen);
  let fn: ts.SignatureDeclaration | undefined;
  if (ts.isReturnStatement(parent)) fn = ts.findAncestor(parent, ts.isFunctionLike);
  else if (ts.isArrowFunction(parent) && parent.body === child) fn = parent;
  const name = fn ? functionName(fn) : undefined;
  if (!name) return [];
  return callsNamed(name, sourceFile).flatMap((call) => useSites(call, sourceFile, depth + 1, seen));
}

/** What a call chain says about the database it runs on: explicit database references and collection names. */
interface ChainEvidence {
  readonly databases: DatabaseEvidence[];
  readonly collections: DatabaseEvidence[];
}

function argumentEvidence(argument: ts.Expression, registry: RegistryModel, evidence: ChainEvidence): void {
  const value = unwrap(argument);
  if (ts.isObjectLiteralExpression(value)) {
    for (const property of value.properties) {
      if (ts.isPropertyAssignment(property) && LOCATION_KEYS.test(propertyNameText(property.name) ?? "")) {
        argumentEvidence(property.initializer, registry, evidence);
      }
    }
    return;
  }
  const database = databaseKeyOfExpression(value, registry);
  if (database) {
    evidence.databases.push({ key: database, why: `database ${value.getText()}` });
    return;
  }
  const text = staticString(value);
  const owner = text === undefined ? undefined : registry.ownerOf(text);
  if (owner) evidence.collections.push({ key: owner, why: `collection "${text}"` });
}

function stemEvidence(name: string, registry: RegistryModel, evidence: ChainEvidence, why: string): void {
  const stem = DATABASE_STEM.exec(name)?.[1];
  const key = stem ? registry.databaseKeyOfStem(stem) : undefined;
  if (key) evidence.databases.push({ key, why });
}

function chainEvidence(expression: ts.Expression, registry: RegistryModel, evidence: ChainEvidence, depth: number): void {
  if (depth > MAX_DEPTH) return;
  const value = unwrap(expression);
  if (ts.isCallExpression(value) || ts.isNewExpression(value)) {
    const name = calleeName(value.expression);
    if (name) stemEvidence(name, registry, evidence, `${name}()`);
    for (const argument of value.arguments ?? []) argumentEvidence(argument, registry, evidence);
    const callee = unwrap(value.expression);
    if (ts.isPropertyAccessExpression(callee) || ts.isElementAccessExpression(callee))
      chainEvidence(callee.expression, registry, evidence, depth + 1);
  } else if (ts.isPropertyAccessExpression(value)) {
    stemEvidence(value.name.text, registry, evidence, value.name.text);
    chainEvidence(value.expression, registry, evidence, depth + 1);
  } else if (ts.isElementAccessExpression(value)) {
    chainEvidence(value.expression, registry, evidence, depth + 1);
  } else if (ts.isIdentifier(value)) {
    stemEvidence(value.text, registry, evidence, value.text);
    const initializer = initializerOf(value);
    if (initializer) chainEvidence(initializer, registry, evidence, depth + 1);
  }
}

/** The database a call runs its pipeline on: an explicit database reference first, else a collection's owner. */
function pipelineDatabase(call: Call, registry: RegistryModel): DatabaseEvidence | undefined {
  const evidence: ChainEvidence = { databases: [], collections: [] };
  chainEvidence(call, registry, evidence, 0);
  return evidence.databases[0] ?? evidence.collections[0];
}

function describe(key: string, registry: RegistryModel): string {
  return `${key} (${registry.nameOf(key)})`;
}

function targetText(target: JoinTarget): string {
  return target.collection === undefined ? "its target" : `"${target.collection}"`;
}

const ADVICE = "$lookup, $graphLookup and $unionWith only see one database; query the other database separately and merge in code";

/**
 * Rule `no-cross-database-lookup`: finds `$lookup`/`$graphLookup`/`$unionWith` stages in object
 * literals (nested `$facet` and `pipeline` sub-pipelines included), infers the database the
 * pipeline runs on from the calls it is passed to, and flags a target another database owns.
 * When no database can be inferred it flags targets whose owner differs from the pipeline's other
 * targets, and a `{ db, coll }` whose `db` does not own `coll`.
 */
export function checkNoCrossDatabaseLookup(source: ParsedSource, registry: RegistryModel): Violation[] {
  const sourceFile = source.sourceFile;
  const groups = new Map<ts.Node, JoinTarget[]>();
  walk(sourceFile, (node) => {
    if (!isJoinStageObject(node)) return;
    const key = groupKeyOf(pipelineRoot(node));
    const group = groups.get(key) ?? [];
    group.push(...joinTargets(node, registry));
    groups.set(key, group);
  });

  const violations: Violation[] = [];
  const report = (target: JoinTarget, message: string): void => {
    const violation = source.violation("no-cross-database-lookup", target.node, message);
    if (violation) violations.push(violation);
  };

  for (const [key, targets] of groups) {
    const known = targets.filter((t): t is JoinTarget & { owner: string } => t.owner !== undefined);
    if (known.length === 0) continue;
    const runsOn: DatabaseEvidence[] = [];
    for (const call of useSites(key, sourceFile, 0, new Set())) {
      const database = pipelineDatabase(call, registry);
      if (database && !runsOn.some((d) => d.key === database.key)) runsOn.push(database);
    }
    const counts = new Map<string, number>();
    for (const target of known) counts.set(target.owner, (counts.get(target.owner) ?? 0) + 1);
    let reference = known[0]?.owner as string;
    for (const [owner, count] of counts) if (count > (counts.get(reference) ?? 0)) reference = owner;
    for (const target of known) {
      const other = runsOn.find((d) => d.key !== target.owner);
      const collectionOwner = target.collection === undefined ? undefined : registry.ownerOf(target.collection);
      if (other) {
        report(
          target,
          `${target.stage} reads ${targetText(target)} of ${describe(target.owner, registry)} in a pipeline on ${describe(other.key, registry)} (from ${other.why}); ${ADVICE}`,
        );
      } else if (runsOn.length === 0 && target.owner !== reference) {
        // No database visible: the pipeline's own targets must agree.
        const others = known
          .filter((t) => t.owner === reference)
          .map(targetText)
          .join(", ");
        report(
          target,
          `${target.stage} reads ${targetText(target)} of ${describe(target.owner, registry)} but the same pipeline reads ${others} of ${describe(reference, registry)}; ${ADVICE}`,
        );
      } else if (target.database && collectionOwner && collectionOwner !== target.database) {
        report(
          target,
          `${target.stage} names database ${describe(target.database, registry)} but ${targetText(target)} belongs to ${describe(collectionOwner, registry)}; ${ADVICE}`,
        );
      }
    }
  }
  return violations;
}
