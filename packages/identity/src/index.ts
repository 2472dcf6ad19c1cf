// The public surface of @cspm/identity.
export { BUILT_IN_ROLE_NAMES, BUILT_IN_ROLES, isBuiltInRole } from "./roles";
export type { BuiltInRole } from "./roles";
export { assertActsFor, authorize, hasPermission, requirePermission, systemActor } from "./actor";
export type { Actor, ActorType, ActorVia } from "./actor";
export { hashesEqual, hashToken, issueToken, parseToken, TOKEN_KINDS, TOKEN_SECRET_BYTES } from "./credentialTokens";
export type { IssuedToken, ParsedToken, TokenKind } from "./credentialTokens";
export { auditDigest } from "./auditDigest";
export type { AuditChanges } from "./auditDigest";
export { AuditTrail } from "./auditTrail";
export type {
  AuditContext,
  AuditedMutation,
  AuditMetadata,
  AuditMode,
  AuditTrailDependencies,
  MutationScope,
  RelayOptions,
} from "./auditTrail";
export { assertCanGrant, CreateRoleInputSchema, RoleCatalog } from "./roleCatalog";
export type { CreateRoleInput, RoleView } from "./roleCatalog";
export { ApiKeyService, apiKeyView, CreateApiKeyInputSchema } from "./apiKeyService";
export type { ApiKeyView, CreateApiKeyInput, CreatedApiKey } from "./apiKeyService";
export { SessionService } from "./sessionService";
export type { CreatedSession, CreateSessionOptions, SessionView } from "./sessionService";
export { AddMemberInputSchema, MemberService, memberView } from "./memberService";
export type { AddMemberInput, MemberView } from "./memberService";
export { JwtVerifier } from "./jwtVerifier";
export type { JwtOptions, VerifiedJwt } from "./jwtVerifier";
export { LastUsedTracker } from "./lastUsedTracker";
export { Authenticator, sessionIdOf } from "./authenticator";
export type { AuthenticatorDependencies } from "./authenticator";
export { createIdentity } from "./createIdentity";
export type { Identity, IdentityOptions } from "./createIdentity";
export { PERMISSIONS } from "@cspm/domain";
export type { Permission } from "@cspm/domain";
