import { z } from "zod";
import { FINDING_PROVIDERS } from "../cloud-security/prowlerFindingSchema";
import { sharedDocumentSchema } from "../common/documentSchema";

/** A framework id such as `cis_aws_2.0` or `soc2`. */
export const FrameworkIdSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/, "must be a framework id such as cis_aws_2.0");

/** A compliance framework (`cspm_compliance.frameworks`, shared by all teams): CIS, SOC 2, ISO 27001 … */
export const FrameworkSchema = sharedDocumentSchema({
  framework_id: FrameworkIdSchema,
  name: z.string().trim().min(1).max(200),
  /** The framework's edition (`2.0`); not `version`, which is the repository's optimistic-concurrency field. */
  framework_version: z.string().trim().min(1).max(64),
  description: z.string().max(4000).optional(),
  provider: z.enum([...FINDING_PROVIDERS, "generic"]).optional(),
  /**
   * The key findings of `provider` carry for this framework in their `compliance` (Prowler's
   * `<Framework>-<Version>`, e.g. `CIS-2.0`); the same key on another provider is another framework.
   */
  compliance_key: z.string().min(1).max(128).optional(),
  /** Where the catalogue came from (`prowler`). */
  source: z.string().min(1).max(64).optional(),
});

/**
 * The framework id of a provider's compliance key: `aws` + `CIS-2.0` -> `aws_cis-2.0`. Keyed by provider,
 * framework and version, so AWS `CIS-2.0` and Azure `CIS-2.0` are different frameworks, and a finding's
 * compliance keys resolve to its own provider's framework without a look-up.
 * @example frameworkIdFor("azure", "CIS-2.0") // "azure_cis-2.0"
 */
export function frameworkIdFor(provider: string, complianceKey: string): string {
  const slug = complianceKey
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9_.-]+/g, "-")
    .replace(/^-+|-+$/g, "");
  return `${provider.toLowerCase()}_${slug}`.slice(0, 128);
}

/** A stored framework. */
export type Framework = z.infer<typeof FrameworkSchema>;
