import { z } from "zod";
import { tenantDocumentSchema } from "../common/documentSchema";
import { EncryptedEnvelopeSchema } from "../common/encryptedEnvelopeSchema";
import { NonSecretConfigSchema } from "../common/nonSecretConfigSchema";

/** Kinds of notification channel. */
export const CHANNEL_TYPES = ["email", "slack", "webhook", "teams"] as const;
/** One of `CHANNEL_TYPES`. */
export type ChannelType = (typeof CHANNEL_TYPES)[number];

/** An HTTPS URL. */
const HttpsUrlSchema = z.url({ protocol: /^https$/ }).max(2048);

/** Per-type channel configuration. Slack and Teams incoming-webhook URLs are secrets, so they are stored encrypted. */
export const CHANNEL_CONFIG_SCHEMAS = {
  email: z.strictObject({ recipients: z.array(z.email()).min(1).max(50) }),
  slack: z.strictObject({
    channel: z
      .string()
      .regex(/^#?[a-z0-9_-]{1,80}$/)
      .optional(),
    encrypted_webhook_url: EncryptedEnvelopeSchema,
  }),
  webhook: z.strictObject({
    url: HttpsUrlSchema,
    encrypted_secret: EncryptedEnvelopeSchema.optional(),
    headers: NonSecretConfigSchema.optional(),
  }),
  teams: z.strictObject({ encrypted_webhook_url: EncryptedEnvelopeSchema }),
} as const;

/** The fields of a channel without the type/config check; use `ChannelSchema` to validate. */
export const ChannelObjectSchema = tenantDocumentSchema({
  type: z.enum(CHANNEL_TYPES),
  name: z.string().trim().min(1).max(200),
  config: z.union([
    CHANNEL_CONFIG_SCHEMAS.email,
    CHANNEL_CONFIG_SCHEMAS.slack,
    CHANNEL_CONFIG_SCHEMAS.webhook,
    CHANNEL_CONFIG_SCHEMAS.teams,
  ]),
  enabled: z.boolean(),
});

/** Where alerts go (`cspm_notifications.channels`), unique by name per team; `config` must match `type` and holds no plaintext secret. */
export const ChannelSchema = ChannelObjectSchema.superRefine((channel, ctx) => {
  const result = CHANNEL_CONFIG_SCHEMAS[channel.type].safeParse(channel.config);
  if (!result.success) {
    for (const issue of result.error.issues) {
      ctx.addIssue({
        code: "custom",
        path: ["config", ...issue.path.map((p) => (typeof p === "symbol" ? String(p) : p))],
        message: `${channel.type}: ${issue.message}`,
      });
    }
  }
});

/** A stored channel. */
export type Channel = z.infer<typeof ChannelSchema>;
