import { z } from "zod";
import { tenantDocumentSchema } from "../common/documentSchema";

/** An edge `source_uid -[relationship]-> target_uid` between two resources (`cspm_inventory.resource_relationships`). */
export const ResourceRelationshipSchema = tenantDocumentSchema({
  account_id: z.string().min(1).max(253).optional(),
  source_uid: z.string().min(1).max(2048),
  target_uid: z.string().min(1).max(2048),
  /** Kind of edge: `contains`, `attached_to`, `member_of`, `routes_to`, `assumes` … */
  relationship: z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, "must be a snake_case relationship"),
  discovered_at: z.date(),
});

/** A stored resource relationship. */
export type ResourceRelationship = z.infer<typeof ResourceRelationshipSchema>;
