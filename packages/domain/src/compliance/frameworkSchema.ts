import { z } from "zod";
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
  provider: z.enum(["aws", "azure", "gcp", "kubernetes", "generic"]).optional(),
});

/** A stored framework. */
export type Framework = z.infer<typeof FrameworkSchema>;
