import { z } from "zod";
import { sharedDocumentSchema } from "../common/documentSchema";
import { ControlIdSchema } from "./controlSchema";
import { FrameworkIdSchema } from "./frameworkSchema";

/** Which check (a Prowler `check_id`) evidences which control (`cspm_compliance.control_mappings`, shared). */
export const ControlMappingSchema = sharedDocumentSchema({
  framework_id: FrameworkIdSchema,
  control_id: ControlIdSchema,
  check_id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,199}$/, "must be a check id"),
});

/** A stored control mapping. */
export type ControlMapping = z.infer<typeof ControlMappingSchema>;
