import { readFileSync } from "node:fs";
import { ValidationError } from "@cspm/errors";
import { type TeamId, TeamIdSchema } from "@cspm/repository";
import { createLocalJWKSet, createRemoteJWKSet, type JSONWebKeySet, type JWTPayload, jwtVerify } from "jose";

/** How bearer JWTs of an OIDC identity provider are verified and mapped to a team and a role. */
export interface JwtOptions {
  /** A JWKS file (`{"keys":[…]}`), read once at start. Exactly one of `jwksFile`, `jwksUrl`, `jwks`. */
  readonly jwksFile?: string;
  /** The IdP's JWKS endpoint (`https://idp.example.com/.well-known/jwks.json`); keys are fetched and cached by `jose`. */
  readonly jwksUrl?: string;
  /** An in-memory key set. */
  readonly jwks?: JSONWebKeySet;
  /** Required `iss`. */
  readonly issuer: string;
  /** Required `aud` (one of). */
  readonly audience: string | readonly string[];
  /** Claim holding the team id (default `team_id`). */
  readonly teamClaim?: string;
  /** Claim holding the role, a string or an array such as IdP groups (default `role`). */
  readonly roleClaim?: string;
  /** IdP values -> role names (`{ "cspm-admins": "admin" }`); values not listed are taken as role names. */
  readonly roleMap?: Readonly<Record<string, string>>;
  /** Role when the claim is absent; without it such a token is refused. */
  readonly defaultRole?: string;
  /** Claim used as the actor's label (default `email`). */
  readonly emailClaim?: string;
  /** Accepted algorithms (default RS256, PS256, ES256, EdDSA; never `none` or HMAC). */
  readonly algorithms?: readonly string[];
  /** Allowed clock skew in seconds (default 30). */
  readonly clockToleranceSeconds?: number;
}

/** What a verified JWT says about its bearer. */
export interface VerifiedJwt {
  readonly subject: string;
  readonly teamId: TeamId;
  /** Candidate role names from the role claim (mapped), in claim order; the authenticator takes the first the team knows. */
  readonly roles: readonly string[];
  readonly email?: string;
  readonly tokenId?: string;
}

const DEFAULT_ALGORITHMS = ["RS256", "PS256", "ES256", "EdDSA"];

/**
 * Verifies bearer JWTs with `jose` against a configured JWKS (file, URL or object): signature, `iss`, `aud`,
 * `exp` (required), `nbf`, and the team claim; then maps the role claim through `roleMap`. `verify` resolves
 * `null` for any token that does not verify — never the reason, so a client learns nothing.
 * The constructor throws `VALIDATION_FAILED` for a bad configuration (no or several key sources, unreadable file).
 */
export class JwtVerifier {
  readonly #keys: ReturnType<typeof createLocalJWKSet> | ReturnType<typeof createRemoteJWKSet>;
  readonly #options: JwtOptions;

  constructor(options: JwtOptions) {
    const sources = [options.jwksFile, options.jwksUrl, options.jwks].filter((s) => s !== undefined);
    if (sources.length !== 1)
      throw new ValidationError("Configure exactly one JWKS source.", [
        { path: "jwt", message: "needs exactly one of jwksFile, jwksUrl, jwks" },
      ]);
    if (!options.issuer || (Array.isArray(options.audience) ? options.audience.length === 0 : !options.audience)) {
      throw new ValidationError("JWT verification needs an issuer and an audience.", [
        { path: "jwt", message: "issuer and audience are required" },
      ]);
    }
    this.#options = options;
    if (options.jwksUrl !== undefined) {
      let url: URL;
      try {
        url = new URL(options.jwksUrl);
      } catch {
        throw new ValidationError("The JWKS URL is not a URL.", [{ path: "jwt.jwksUrl", message: "must be an http(s) URL" }]);
      }
      this.#keys = createRemoteJWKSet(url);
    } else {
      let set = options.jwks;
      if (options.jwksFile !== undefined) {
        try {
          set = JSON.parse(readFileSync(options.jwksFile, "utf8")) as JSONWebKeySet;
        } catch (error) {
          throw new ValidationError(
            "The JWKS file cannot be read as JSON.",
            [{ path: "jwt.jwksFile", message: "must be a readable JSON Web Key Set" }],
            { cause: error },
          );
        }
      }
      if (!set || !Array.isArray((set as { keys?: unknown }).keys)) {
        throw new ValidationError("The JWKS has no keys.", [{ path: "jwt.jwks", message: 'must be {"keys":[…]}' }]);
      }
      this.#keys = createLocalJWKSet(set);
    }
  }

  /** True when `token` looks like a compact JWS (three base64url parts, a JSON header); says nothing about validity. */
  static looksLikeJwt(token: string): boolean {
    return /^eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token) && token.length <= 16_384;
  }

  /** The verified claims mapped to a team and roles, or `null` when the token does not verify or lacks a team. Never throws. */
  async verify(token: string): Promise<VerifiedJwt | null> {
    const o = this.#options;
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.#keys, {
        issuer: o.issuer,
        audience: typeof o.audience === "string" ? o.audience : [...o.audience],
        algorithms: [...(o.algorithms ?? DEFAULT_ALGORITHMS)],
        clockTolerance: o.clockToleranceSeconds ?? 30,
        requiredClaims: ["exp", "sub"],
      }));
    } catch {
      return null;
    }
    const team = TeamIdSchema.safeParse(payload[o.teamClaim ?? "team_id"]);
    if (!team.success || typeof payload.sub !== "string" || payload.sub === "" || payload.sub.length > 128) return null;
    const claim = payload[o.roleClaim ?? "role"];
    const raw = typeof claim === "string" ? [claim] : Array.isArray(claim) ? claim.filter((v): v is string => typeof v === "string") : [];
    const roles = raw.map((value) => o.roleMap?.[value] ?? value);
    if (roles.length === 0 && o.defaultRole !== undefined) roles.push(o.defaultRole);
    const email = payload[o.emailClaim ?? "email"];
    return {
      subject: payload.sub,
      teamId: team.data,
      roles,
      ...(typeof email === "string" ? { email: email.slice(0, 200) } : {}),
      ...(typeof payload.jti === "string" ? { tokenId: payload.jti.slice(0, 128) } : {}),
    };
  }
}
