import { z } from "zod";
import { RefIdSchema, tenantDocumentSchema } from "../common/documentSchema";

/** Statuses of a delivery. */
export const DELIVERY_STATUSES = ["pending", "sent", "failed"] as const;

/** One alert sent to one channel (`cspm_notifications.deliveries`), unique per alert and channel, with its attempts. */
export const DeliverySchema = tenantDocumentSchema({
  alert_id: RefIdSchema,
  channel_id: RefIdSchema,
  status: z.enum(DELIVERY_STATUSES),
  attempts: z.number().int().nonnegative(),
  last_attempt_at: z.date().optional(),
  delivered_at: z.date().optional(),
  error: z.string().max(4000).optional(),
});

/** A stored delivery. */
export type Delivery = z.infer<typeof DeliverySchema>;
