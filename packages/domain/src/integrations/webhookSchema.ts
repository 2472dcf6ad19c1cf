import { z } from "zod";
import { tenantDocumentSchema } from "../common/documentSchema";
import { EncryptedEnvelopeSchema } from "../common/encryptedEnvelopeSchema";

/** An event name such as `finding.created`, or `*` for every event. */
export const WebhookEventSchema = z
  .string()
  .regex(/^(\*|[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+)$/, "must be a dotted event name such as finding.created, or *");

/** An outgoing webhook (`cspm_integrations.webhooks`): event, HTTPS URL, encrypted signing secret, delivery health. */
export const WebhookSchema = tenantDocumentSchema({
  event: WebhookEventSchema,
  url: z.url({ protocol: /^https$/ }).max(2048),
  encrypted_secret: EncryptedEnvelopeSchema.optional(),
  enabled: z.boolean(),
  failure_count: z.number().int().nonnegative(),
  last_delivery_at: z.date().optional(),
  last_status_code: z.number().int().min(100).max(599).optional(),
});

/** A stored webhook. */
export type Webhook = z.infer<typeof WebhookSchema>;
