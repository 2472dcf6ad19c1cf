import type { ParsedSource } from "../parseSource";
import type { RegistryModel } from "../registryModel";
import { forEachLiteralText } from "../staticValues";
import type { Violation } from "../violation";

/** The generic shape of a CSPM database name, and the `cspm_` stem used to build one. */
const GENERIC_NAME = /^cspm_[a-z_]*$/;
/** A namespace (`cspm_platform.users`) or the start of one in a template (`cspm_platform.${c}`). */
const NAMESPACE = /^cspm_[a-z_]+\.\S*$/;

/** The registry name a literal piece spells, or the piece itself when it only has the generic shape. */
function databaseNameIn(text: string, registry: RegistryModel): string | undefined {
  if (registry.databaseNames.has(text) || GENERIC_NAME.test(text)) return text;
  if (NAMESPACE.test(text)) return text.slice(0, text.indexOf("."));
  // A hand-prefixed name such as "t1_cspm_platform": the prefix must come from DatabaseRegistry.databaseName too.
  for (const name of registry.databaseNames) if (text.endsWith(`_${name}`) && /^[A-Za-z0-9_-]+$/.test(text)) return name;
  return undefined;
}

/**
 * Rule `registry-database-names`: flags a string literal, or a literal part of a template, that is a
 * registry database name, has the generic shape `cspm_…` (lower case, the bare `cspm_` stem
 * included), is a `cspm_….collection` namespace, or ends in `_<registry name>`.
 */
export function checkRegistryDatabaseNames(source: ParsedSource, registry: RegistryModel): Violation[] {
  const violations: Violation[] = [];
  forEachLiteralText(source.sourceFile, (node, text) => {
    const name = databaseNameIn(text, registry);
    if (name === undefined) return;
    const key = registry.databaseKeyOf(name);
    const hint = key ? `DatabaseRegistry.databaseName("${key}", prefix) or DatabaseRegistry.${key}` : "a DatabaseRegistry constant";
    const violation = source.violation(
      "registry-database-names",
      node,
      `database name literal "${text}" outside the registry package; use ${hint}`,
    );
    if (violation) violations.push(violation);
  });
  return violations;
}
