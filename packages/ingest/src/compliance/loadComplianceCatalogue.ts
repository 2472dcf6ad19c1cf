import { ControlMappingRepository, ControlRepository, FrameworkRepository, frameworkIdFor } from "@cspm/domain";
import { ValidationError } from "@cspm/errors";
import { providerOf } from "../normalize/findingNormalizer";
import { arrayAt, clip, isObject, text, textAt } from "../normalize/values";
import type { RepositoryResolver } from "../importScan";
import { type ByteSource, peek } from "../read/byteSource";
import { jsonRecords } from "../read/jsonRecords";

/** The repositories of the compliance database the loader writes. */
export interface ComplianceRepositories {
  readonly frameworks: FrameworkRepository;
  readonly controls: ControlRepository;
  readonly mappings: ControlMappingRepository;
}

/** The compliance repositories from a `RepositoryFactory`. */
export function complianceRepositories(repositories: RepositoryResolver): ComplianceRepositories {
  return {
    frameworks: repositories.get(FrameworkRepository),
    controls: repositories.get(ControlRepository),
    mappings: repositories.get(ControlMappingRepository),
  };
}

/** What loading one catalogue did. */
export interface CatalogueLoadResult {
  readonly framework_id: string;
  readonly compliance_key: string;
  readonly provider: string;
  readonly name: string;
  readonly controls: number;
  readonly mappings: number;
  /** Mappings written for the first time / removed because the catalogue no longer has them. */
  readonly mappings_inserted: number;
  readonly mappings_removed: number;
}

const HEADER_KEYS = ["Framework", "Version", "Provider", "Name", "Description"] as const;

/**
 * Loads one of Prowler's compliance framework definitions (`prowler/compliance/<provider>/*.json`: Framework,
 * Version, Provider, Requirements with Id, Description, Attributes, Checks) into `frameworks`, `controls` and
 * `control_mappings`. The framework is keyed by provider + framework + version (`frameworkIdFor`), so AWS and
 * Azure `CIS-2.0` are two frameworks; its `compliance_key` is the key Prowler's findings carry (`CIS-2.0`).
 * Idempotent: loading the same file again changes nothing, a newer file replaces the framework's mappings.
 * Throws `VALIDATION_FAILED` (not a Prowler compliance file, malformed JSON).
 */
export async function loadComplianceCatalogue(repositories: ComplianceRepositories, source: ByteSource): Promise<CatalogueLoadResult> {
  const peeked = await peek(source, 1024);
  const header: Record<string, unknown> = {};
  const requirements: Record<string, unknown>[] = [];
  for await (const item of jsonRecords(peeked.chunks, {
    recordPaths: ["$.Requirements.*"],
    contextKeys: HEADER_KEYS,
    maxRecordBytes: 4 * 1024 * 1024,
    label: source.label,
  })) {
    if (item.kind === "context") header[item.key] = item.value;
    else if (item.kind === "record" && isObject(item.value)) requirements.push(item.value);
  }
  const framework = text(header["Framework"]);
  const provider = providerOf(text(header["Provider"]));
  if (framework === undefined || provider === undefined || requirements.length === 0) {
    throw new ValidationError(`${source.label} is not a Prowler compliance framework (Framework, Provider and Requirements are needed).`, [
      {
        path: framework === undefined ? "Framework" : provider === undefined ? "Provider" : "Requirements",
        message: "is missing or not recognised",
      },
    ]);
  }
  const version = text(header["Version"]);
  const complianceKey = version === undefined ? framework : `${framework}-${version}`;
  const frameworkId = frameworkIdFor(provider, complianceKey);
  const name = clip(text(header["Name"]) ?? complianceKey, 200);
  const description = text(header["Description"]);
  await repositories.frameworks.upsertFramework({
    framework_id: frameworkId,
    name,
    framework_version: version ?? "unversioned",
    provider,
    compliance_key: complianceKey,
    source: "prowler",
    ...(description === undefined ? {} : { description: clip(description, 4000) }),
  });
  const controls = new Map<string, { control_id: string; title: string; description?: string; section?: string; framework_id: string }>();
  const mappings = new Map<string, { control_id: string; check_id: string }>();
  for (const requirement of requirements) {
    const id = text(requirement["Id"]);
    if (id === undefined || /\s/.test(id)) continue;
    const attributes = arrayAt(requirement, "Attributes")[0];
    const requirementDescription = text(requirement["Description"]);
    const section = [textAt(attributes, "Section"), textAt(attributes, "SubSection")].filter((s) => s !== undefined).join(" / ");
    const longText = textAt(attributes, "Description") ?? requirementDescription;
    if (!controls.has(id)) {
      controls.set(id, {
        framework_id: frameworkId,
        control_id: id,
        title: clip(text(requirement["Name"]) ?? requirementDescription ?? id, 1000),
        ...(longText === undefined ? {} : { description: clip(longText, 8000) }),
        ...(section === "" ? {} : { section: clip(section, 500) }),
      });
    }
    for (const check of arrayAt(requirement, "Checks")) {
      const checkId = text(check);
      if (checkId !== undefined) mappings.set(`${id}\u0000${checkId}`, { control_id: id, check_id: checkId });
    }
  }
  const controlResult = await repositories.controls.upsertControls([...controls.values()]);
  const mappingResult = await repositories.mappings.replaceFrameworkMappings(frameworkId, [...mappings.values()]);
  const rejected = [...controlResult.errors, ...mappingResult.errors];
  if (rejected.length > 0) {
    throw new ValidationError(
      `${source.label}: ${rejected.length} control(s) or mapping(s) could not be stored.`,
      rejected.slice(0, 20).map((e) => ({ path: String(e.index), message: e.message })),
    );
  }
  return {
    framework_id: frameworkId,
    compliance_key: complianceKey,
    provider,
    name,
    controls: controls.size,
    mappings: mappings.size,
    mappings_inserted: mappingResult.inserted,
    mappings_removed: mappingResult.removed,
  };
}
