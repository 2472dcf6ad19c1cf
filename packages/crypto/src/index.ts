export { CredentialCipher } from "./credentialCipher";
export type { AssociatedData, CipherOptions } from "./credentialCipher";
export {
  ENVELOPE_VERSION,
  IV_LENGTH_BYTES,
  TAG_LENGTH_BYTES,
  assertEncryptedEnvelope,
  formatEnvelope,
  isEncryptedEnvelope,
  parseEnvelope,
} from "./encryptedEnvelope";
export type { EncryptedEnvelope } from "./encryptedEnvelope";
export { KEY_LENGTH_BYTES, KeyRing, generateKey, isValidKeyId, parseKeyRing } from "./keyRing";
export type { KeyRingEntry, KeyRingSummary } from "./keyRing";
export { DEFAULT_SECRET_KEY_FRAGMENTS, REDACTED, redactConnectionString, redactSecrets } from "./redactSecrets";
export type { RedactOptions } from "./redactSecrets";
