import ts from "typescript";
import type { ParsedSource } from "../parseSource";
import { calleeName, outerParent, propertyNameText, unwrap, walk } from "../staticValues";
import type { Violation } from "../violation";

/** The field every tenant-owned document carries. */
const TENANT_FIELD = "team_id";

/** Keys whose object value is a query: `$match`, a `$graphLookup` restriction, a `filter`/`query` option. */
const QUERY_KEYS: ReadonlySet<string> = new Set(["filter", "query", "restrictSearchWithMatch"]);

/** Calls whose arguments are filters, updates or pipelines (driver, repository and `trustedFilter`). */
const QUERY_CALLS: ReadonlySet<string> = new Set([
  "find",
  "findOne",
  "findMany",
  "findById",
  "count",
  "countDocuments",
  "distinct",
  "exists",
  "updateOne",
  "updateMany",
  "deleteOne",
  "deleteMany",
  "replaceOne",
  "findOneAndUpdate",
  "findOneAndDelete",
  "findOneAndReplace",
  "aggregate",
  "paginate",
  "stream",
  "bulkWrite",
  "watch",
  "trustedFilter",
]);

/** A projection value (`team_id: 1`, `team_id: false`), which selects the field instead of filtering on it. */
function isProjectionValue(node: ts.Expression): boolean {
  const value = unwrap(node);
  if (ts.isNumericLiteral(value)) return true;
  if (ts.isPrefixUnaryExpression(value) && value.operator === ts.SyntaxKind.MinusToken && ts.isNumericLiteral(value.operand)) return true;
  return value.kind === ts.SyntaxKind.TrueKeyword || value.kind === ts.SyntaxKind.FalseKeyword;
}

/**
 * Why the object literal holding a `team_id` key is a query, or undefined: climbing out through object
 * literals, arrays and spreads, it sits under a `$`-operator key (a pipeline stage or query operator), under
 * a `filter`/`query`/`restrictSearchWithMatch` key, or in the arguments of a data call (`find`, `aggregate`,
 * `trustedFilter` …).
 */
function queryContext(objectLiteral: ts.ObjectLiteralExpression): string | undefined {
  let current: ts.Node = objectLiteral;
  for (let depth = 0; depth < 40; depth++) {
    const { parent, child } = outerParent(current);
    if (!parent) return undefined;
    if (ts.isPropertyAssignment(parent) && parent.initializer === child) {
      const key = propertyNameText(parent.name) ?? "";
      if (key.startsWith("$")) return `inside ${key}`;
      if (QUERY_KEYS.has(key)) return `in ${key}`;
      current = parent.parent;
      continue;
    }
    if (ts.isArrayLiteralExpression(parent) || ts.isSpreadElement(parent) || ts.isSpreadAssignment(parent)) {
      current = parent;
      continue;
    }
    if (ts.isObjectLiteralExpression(parent)) {
      current = parent;
      continue;
    }
    if ((ts.isCallExpression(parent) || ts.isNewExpression(parent)) && parent.arguments?.includes(child as ts.Expression)) {
      const name = calleeName(parent.expression);
      return name !== undefined && QUERY_CALLS.has(name) ? `passed to ${name}()` : undefined;
    }
    if (ts.isConditionalExpression(parent) || ts.isBinaryExpression(parent)) {
      current = parent;
      continue;
    }
    return undefined;
  }
  return undefined;
}

/**
 * Rule `no-hand-written-tenant-filter`: a `team_id` key written into a filter, update or pipeline outside
 * the repository package. Tenant data is read and written through `repository.forTeam(teamId)`, whose one
 * scoping function adds the team condition to every path; a condition written by hand is either redundant
 * or, worse, the only guard on a path that skipped the repository. Projection lists (`team_id: 1`) and
 * plain objects that are not queries (a returned view, a document to insert) are not flagged.
 */
export function checkNoHandWrittenTenantFilter(source: ParsedSource): Violation[] {
  const violations: Violation[] = [];
  walk(source.sourceFile, (node) => {
    if (!ts.isPropertyAssignment(node) && !ts.isShorthandPropertyAssignment(node)) return;
    if (propertyNameText(node.name) !== TENANT_FIELD) return;
    if (ts.isPropertyAssignment(node) && isProjectionValue(node.initializer)) return;
    const holder = node.parent;
    if (!ts.isObjectLiteralExpression(holder)) return;
    const context = queryContext(holder);
    if (context === undefined) return;
    const violation = source.violation(
      "no-hand-written-tenant-filter",
      node.name,
      `a hand-written team_id condition ${context}; read tenant data through repository.forTeam(teamId), which scopes every filter and pipeline`,
    );
    if (violation) violations.push(violation);
  });
  return violations;
}
