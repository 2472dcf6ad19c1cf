/** The identity an account's encrypted credentials are bound to. */
export interface CloudAccountCredentialIdentity {
  readonly team_id: string;
  readonly provider: string;
  readonly account_id: string;
}

/**
 * The associated data every writer and reader of `enhanced_cloud_accounts.encrypted_credentials` binds the
 * envelope to, so a ciphertext copied onto another team's or account's document fails to decrypt.
 */
export function cloudAccountCredentialAad(identity: CloudAccountCredentialIdentity): Record<string, string> {
  return { team_id: identity.team_id, provider: identity.provider, account_id: identity.account_id };
}
