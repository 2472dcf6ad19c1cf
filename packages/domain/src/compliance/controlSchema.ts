import { z } from "zod";
import { sharedDocumentSchema } from "../common/documentSchema";
import { FrameworkIdSchema } from "./frameworkSchema";

/** A control id within a framework (`1.1`, `CC6.1`, `A.5.15`). */
export const ControlIdSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[^$\s][^\s]*$/, "must be a control id without spaces");

/** A control of a framework (`cspm_compliance.controls`, shared), unique by framework and control id. */
export const ControlSchema = sharedDocumentSchema({
  framework_id: FrameworkIdSchema,
  control_id: ControlIdSchema,
  title: z.string().trim().min(1).max(1000),
  description: z.string().max(8000).optional(),
  section: z.string().max(500).optional(),
});

/** A stored control. */
export type Control = z.infer<typeof ControlSchema>;
