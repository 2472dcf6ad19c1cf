import { z } from "zod";
import { tenantDocumentSchema } from "../common/documentSchema";
import { EncryptedEnvelopeSchema } from "../common/encryptedEnvelopeSchema";
import { NonSecretConfigSchema } from "../common/nonSecretConfigSchema";

/** Kinds of connector. */
export const CONNECTOR_TYPES = ["jira", "servicenow", "splunk", "pagerduty", "github", "gitlab", "generic"] as const;
/** Statuses of a connector. */
export const CONNECTOR_STATUSES = ["active", "error", "disabled"] as const;

/**
 * A connector to an external tool (`cspm_integrations.connectors`), unique by type and name per team.
 * `config` is plain settings (secret-looking keys refused); the credential goes in `encrypted_secret`.
 */
export const ConnectorSchema = tenantDocumentSchema({
  type: z.enum(CONNECTOR_TYPES),
  name: z.string().trim().min(1).max(200),
  config: NonSecretConfigSchema,
  encrypted_secret: EncryptedEnvelopeSchema.optional(),
  status: z.enum(CONNECTOR_STATUSES),
  last_sync_at: z.date().optional(),
  last_error: z.string().max(4000).optional(),
});

/** A stored connector. */
export type Connector = z.infer<typeof ConnectorSchema>;
