import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { CATALOG_FRAMEWORKS, CHECK_CATALOG, type CatalogFramework } from "@cspm-example/worker";
import { type CatalogueLoadResult, type ComplianceRepositories, bufferSource, fileSource, loadComplianceCatalogue } from "@cspm/ingest";

/**
 * `CSPM_COMPLIANCE_DIR`: a folder of Prowler compliance JSON files (`prowler/compliance/<provider>/*.json`,
 * e.g. `cis_2.0_aws.json`). When set, the demo seed loads every `*.json` in it (through the one loader,
 * `loadComplianceCatalogue`) instead of its built-in subset.
 */
export const COMPLIANCE_DIR_ENV = "CSPM_COMPLIANCE_DIR";

/** One of Prowler's compliance catalogues in its own JSON shape (the fields the loader reads). */
export interface ProwlerCatalogue {
  readonly Framework: string;
  readonly Version: string;
  readonly Provider: string;
  readonly Name: string;
  readonly Description: string;
  readonly Requirements: readonly {
    readonly Id: string;
    readonly Name?: string;
    readonly Description: string;
    readonly Attributes: readonly { readonly Section?: string; readonly SubSection?: string }[];
    readonly Checks: readonly string[];
  }[];
}

const PROVIDER_SPELLING: Readonly<Record<CatalogFramework["provider"], string>> = { aws: "AWS", azure: "Azure", gcp: "GCP" };

/**
 * The demo's catalogue of one framework in Prowler's JSON shape: a subset of Prowler's catalogue of that name
 * and version (Apache-2.0) with only the requirements the generator's checks map to, each listing those checks.
 */
export function prowlerCatalogue(framework: CatalogFramework): ProwlerCatalogue {
  const checks = new Map<string, string[]>();
  for (const check of CHECK_CATALOG[framework.provider]) {
    for (const id of check.compliance[framework.key] ?? []) checks.set(id, [...(checks.get(id) ?? []), check.checkId]);
  }
  return {
    Framework: framework.framework,
    Version: framework.version,
    Provider: PROVIDER_SPELLING[framework.provider],
    Name: framework.name,
    Description: framework.description,
    Requirements: framework.requirements.map((r) => ({
      Id: r.id,
      ...(r.name === undefined ? {} : { Name: r.name }),
      Description: r.description,
      Attributes: [
        { ...(r.section === undefined ? {} : { Section: r.section }), ...(r.subSection === undefined ? {} : { SubSection: r.subSection }) },
      ],
      Checks: checks.get(r.id) ?? [],
    })),
  };
}

/** The demo's built-in catalogues (one per provider framework of `CATALOG_FRAMEWORKS`), in Prowler's JSON shape. */
export function demoCatalogues(): ProwlerCatalogue[] {
  return CATALOG_FRAMEWORKS.map(prowlerCatalogue);
}

/**
 * Loads the demo's compliance catalogue through `loadComplianceCatalogue`: every `*.json` of `directory`
 * (default `$CSPM_COMPLIANCE_DIR`) when one is given, else the built-in subset. Throws `VALIDATION_FAILED`
 * (a file that is not a Prowler compliance catalogue).
 */
export async function loadDemoComplianceCatalogue(
  repositories: ComplianceRepositories,
  directory: string | undefined = process.env[COMPLIANCE_DIR_ENV] || undefined,
): Promise<CatalogueLoadResult[]> {
  const results: CatalogueLoadResult[] = [];
  if (directory !== undefined) {
    const names = (await readdir(directory)).filter((n) => n.endsWith(".json")).sort();
    for (const name of names) results.push(await loadComplianceCatalogue(repositories, await fileSource(join(directory, name))));
    return results;
  }
  for (const catalogue of demoCatalogues()) {
    const label = `demo ${catalogue.Provider} ${catalogue.Framework} ${catalogue.Version}`.trim();
    results.push(await loadComplianceCatalogue(repositories, bufferSource(JSON.stringify(catalogue), label)));
  }
  return results;
}
