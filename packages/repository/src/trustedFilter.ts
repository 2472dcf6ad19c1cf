import { ValidationError } from "@cspm/errors";
import type { Document, Filter } from "mongodb";
import { assertSafeExpression, isPlainObject } from "./sanitizeFilter";

/** The brand of a filter written in code. A symbol key: JSON and request parsers can never produce it. */
export const TRUSTED_FILTER: unique symbol = Symbol.for("@cspm/repository.TrustedFilter");

/** A MongoDB filter written in code (operators allowed), branded by `trustedFilter()`. */
export interface TrustedFilter<TDoc = Document> {
  readonly [TRUSTED_FILTER]: true;
  readonly filter: Filter<TDoc>;
}

/** Data from outside (a request's query or body): only plain equality on field names is accepted. */
export type UntrustedFilter = Readonly<Record<string, unknown>>;

/**
 * What every repository method accepts as a filter: plain data (treated as UNTRUSTED and passed through
 * `sanitizeFilter`) or a `trustedFilter(...)` written in code (typed for the document, or loosely as `Document`).
 */
export type FilterInput<TDoc = Document> = UntrustedFilter | TrustedFilter<TDoc> | TrustedFilter<Document>;

/**
 * Marks a filter as written in code, so operators (`$gte`, `$in`, `$or`, `$expr` …) are allowed.
 * Never wrap request data with it (use `sanitizeFilter` for that part). Refuses `$where`, `$function`,
 * `$accumulator`, `Code` values and `__proto__`/`constructor`/`prototype` keys at any depth, and nesting
 * deeper than 32 levels: `VALIDATION_FAILED`.
 * @example repo.forTeam(teamId).findMany(trustedFilter({ last_seen_at: { $gte: since }, status: "FAIL" }))
 */
export function trustedFilter<TDoc = Document>(filter: Filter<TDoc>): TrustedFilter<TDoc> {
  if (!isPlainObject(filter)) {
    throw new ValidationError("A trusted filter must be a plain object.", [{ path: "", message: "must be a plain object" }]);
  }
  assertSafeExpression(filter);
  return Object.freeze({ [TRUSTED_FILTER]: true as const, filter });
}

/** True for a value made by `trustedFilter()`. */
export function isTrustedFilter(value: unknown): value is TrustedFilter<unknown> {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[TRUSTED_FILTER] === true;
}
