import { randomBytes } from "node:crypto";
import { inspect } from "node:util";
import { InternalError, ValidationError, type CspmError } from "@cspm/errors";
import { describe, expect, it } from "vitest";
import {
  CredentialCipher,
  KeyRing,
  formatEnvelope,
  generateKey,
  isEncryptedEnvelope,
  parseEnvelope,
  parseKeyRing,
  type EncryptedEnvelope,
} from "./index";

const PLAINTEXT = "AKIA-super-secret-value-7f3a9c";
const CREDENTIALS = { access_key_id: "AKIAEXAMPLE", secret_access_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" };

function caught(fn: () => unknown): CspmError {
  try {
    fn();
  } catch (error) {
    return error as CspmError;
  }
  throw new Error("expected a throw");
}

/** Flips one bit of the decoded bytes of a field and re-encodes it canonically. */
function flipBit(field: string): string {
  const bytes = Buffer.from(field, "base64url");
  bytes[0] = (bytes[0] as number) ^ 0x01;
  return bytes.toString("base64url");
}

function allTextOf(error: unknown): string {
  return [String(error), JSON.stringify(error), inspect(error, { depth: null, showHidden: true }), (error as Error).stack].join("\n");
}

describe("CredentialCipher", () => {
  const k1Raw = randomBytes(32);
  const k2Raw = randomBytes(32);
  const k1 = { id: "k1", key: k1Raw.toString("base64") };
  const k2 = { id: "k2", key: k2Raw.toString("base64") };
  const keyTexts = [k1Raw, k2Raw].flatMap((raw) => [raw.toString("base64"), raw.toString("base64url"), raw.toString("hex")]);

  it("round-trips text, bytes and JSON", () => {
    const cipher = new CredentialCipher(new KeyRing([k1]));
    expect(cipher.decrypt(cipher.encrypt(PLAINTEXT))).toBe(PLAINTEXT);
    expect(cipher.decrypt(cipher.encrypt(""))).toBe("");
    expect(cipher.decrypt(cipher.encrypt("ünïcødé ✓"))).toBe("ünïcødé ✓");
    const bytes = randomBytes(100);
    expect(cipher.decryptBytes(cipher.encrypt(bytes)).equals(bytes)).toBe(true);
    expect(cipher.decryptJson(cipher.encryptJson(CREDENTIALS))).toEqual(CREDENTIALS);
  });

  it("writes a v1 envelope with the active key id, a 12-byte IV and a 16-byte tag", () => {
    const cipher = new CredentialCipher([k2, k1]);
    const envelope = cipher.encrypt(PLAINTEXT);
    expect(Object.keys(envelope).sort()).toEqual(["ct", "iv", "kid", "tag", "v"]);
    expect(envelope.v).toBe(1);
    expect(envelope.kid).toBe("k2");
    expect(Buffer.from(envelope.iv, "base64url")).toHaveLength(12);
    expect(Buffer.from(envelope.tag, "base64url")).toHaveLength(16);
    expect(Buffer.from(envelope.ct, "base64url")).toHaveLength(Buffer.byteLength(PLAINTEXT));
    expect(isEncryptedEnvelope(envelope)).toBe(true);
    expect(JSON.stringify(envelope)).not.toContain(PLAINTEXT);
  });

  it("uses a fresh IV: two encryptions of the same plaintext differ", () => {
    const cipher = new CredentialCipher([k1]);
    const a = cipher.encrypt(PLAINTEXT);
    const b = cipher.encrypt(PLAINTEXT);
    expect(a.iv).not.toBe(b.iv);
    expect(a.ct).not.toBe(b.ct);
    expect(cipher.decrypt(a)).toBe(cipher.decrypt(b));
  });

  describe("tamper detection", () => {
    const cipher = new CredentialCipher([k1, k2]);
    const envelope = cipher.encrypt(PLAINTEXT);

    it.each(["ct", "iv", "tag"] as const)("a changed %s fails authentication with INTERNAL", (field) => {
      const error = caught(() => cipher.decrypt({ ...envelope, [field]: flipBit(envelope[field]) }));
      expect(error).toBeInstanceOf(InternalError);
      expect(error.message).toMatch(/^Ciphertext failed authentication/);
      expect(error.details).toEqual({ reason: "AUTHENTICATION_FAILED", kid: "k1" });
      expect(allTextOf(error)).not.toContain(PLAINTEXT);
    });

    it("a kid switched to another known key fails authentication", () => {
      const error = caught(() => cipher.decrypt({ ...envelope, kid: "k2" }));
      expect(error).toBeInstanceOf(InternalError);
      expect(error.details).toEqual({ reason: "AUTHENTICATION_FAILED", kid: "k2" });
    });

    it("a kid switched to an unknown key names the id", () => {
      const error = caught(() => cipher.decrypt({ ...envelope, kid: "k9" }));
      expect(error).toBeInstanceOf(InternalError);
      expect(error.message).toContain('"k9"');
      expect(error.details).toEqual({ reason: "UNKNOWN_KEY_ID", kid: "k9" });
    });

    it("a truncated or extended ciphertext fails authentication", () => {
      const ct = Buffer.from(envelope.ct, "base64url");
      for (const changed of [ct.subarray(1), Buffer.concat([ct, Buffer.from([0])])]) {
        expect(caught(() => cipher.decrypt({ ...envelope, ct: changed.toString("base64url") })).details?.["reason"]).toBe(
          "AUTHENTICATION_FAILED",
        );
      }
    });
  });

  it("binds associated data: the wrong or a missing AAD fails, key order does not matter", () => {
    const cipher = new CredentialCipher([k1]);
    const aad = { team_id: "team-a", account_id: "acct-1" };
    const envelope = cipher.encryptJson(CREDENTIALS, { aad });
    expect(cipher.decryptJson(envelope, { aad: { account_id: "acct-1", team_id: "team-a" } })).toEqual(CREDENTIALS);
    for (const wrong of [{ team_id: "team-b", account_id: "acct-1" }, { team_id: "team-a", account_id: "acct-2" }, "team-a", undefined]) {
      const options = wrong === undefined ? {} : { aad: wrong };
      const error = caught(() => cipher.decryptJson(envelope, options));
      expect(error).toBeInstanceOf(InternalError);
      expect(error.details?.["reason"]).toBe("AUTHENTICATION_FAILED");
    }
    const withString = cipher.encrypt(PLAINTEXT, { aad: "ctx" });
    expect(cipher.decrypt(withString, { aad: "ctx" })).toBe(PLAINTEXT);
    expect(() => cipher.decrypt(withString, { aad: Buffer.from("ctx") })).toThrow(InternalError);
  });

  it("rejects non-string AAD record values with VALIDATION_FAILED", () => {
    const cipher = new CredentialCipher([k1]);
    const error = caught(() => cipher.encrypt(PLAINTEXT, { aad: { team_id: 7 as unknown as string } }));
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues).toEqual([{ path: "aad.team_id", message: "must be a string" }]);
  });

  it.each<[string, unknown]>([
    ["not an object", "v1:k1:a:b:c"],
    ["null", null],
    ["wrong version", { v: 2, kid: "k1", iv: "", tag: "", ct: "" }],
    ["extra field", { v: 1, kid: "k1", iv: "", tag: "", ct: "", plaintext: PLAINTEXT }],
    ["bad kid", { v: 1, kid: "no spaces", iv: "", tag: "", ct: "" }],
    ["short iv", { v: 1, kid: "k1", iv: "AAAA", tag: Buffer.alloc(16).toString("base64url"), ct: "" }],
    ["short tag", { v: 1, kid: "k1", iv: Buffer.alloc(12).toString("base64url"), tag: "AAAA", ct: "" }],
    [
      "non-base64url ct",
      { v: 1, kid: "k1", iv: Buffer.alloc(12).toString("base64url"), tag: Buffer.alloc(16).toString("base64url"), ct: "a+b/" },
    ],
    [
      "non-canonical ct",
      { v: 1, kid: "k1", iv: Buffer.alloc(12).toString("base64url"), tag: Buffer.alloc(16).toString("base64url"), ct: "AB" },
    ],
  ])("a malformed envelope (%s) is VALIDATION_FAILED", (_name, value) => {
    const cipher = new CredentialCipher([k1]);
    const error = caught(() => cipher.decrypt(value as EncryptedEnvelope));
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.details?.["reason"]).toBe("MALFORMED_ENVELOPE");
    expect(isEncryptedEnvelope(value)).toBe(false);
    expect(allTextOf(error)).not.toContain(PLAINTEXT);
  });

  it("rejects JSON that cannot be serialised and plaintext that is not JSON", () => {
    const cipher = new CredentialCipher([k1]);
    expect(caught(() => cipher.encryptJson(undefined))).toBeInstanceOf(ValidationError);
    expect(caught(() => cipher.encryptJson({ n: 1n }))).toBeInstanceOf(ValidationError);
    const error = caught(() => cipher.decryptJson(cipher.encrypt(PLAINTEXT)));
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.details?.["reason"]).toBe("NOT_JSON");
    expect(allTextOf(error)).not.toContain(PLAINTEXT);
  });

  it("rotates keys: old envelopes still decrypt, reencrypt moves them to the active key", () => {
    const before = new CredentialCipher(new KeyRing([k1]));
    const aad = { team_id: "t1", account_id: "a1" };
    const old = before.encryptJson(CREDENTIALS, { aad });
    expect(old.kid).toBe("k1");
    expect(before.needsRotation(old)).toBe(false);
    expect(before.reencrypt(old, { aad })).toBe(old);

    const rotated = new CredentialCipher(new KeyRing([k2, k1]));
    expect(rotated.decryptJson(old, { aad })).toEqual(CREDENTIALS);
    expect(rotated.needsRotation(old)).toBe(true);
    const fresh = rotated.reencrypt(old, { aad });
    expect(fresh.kid).toBe("k2");
    expect(fresh).not.toEqual(old);
    expect(rotated.needsRotation(fresh)).toBe(false);
    expect(rotated.reencrypt(fresh, { aad })).toBe(fresh);

    const retired = new CredentialCipher(new KeyRing([k2]));
    expect(retired.decryptJson(fresh, { aad })).toEqual(CREDENTIALS);
    const error = caught(() => retired.decryptJson(old, { aad }));
    expect(error.details).toEqual({ reason: "UNKNOWN_KEY_ID", kid: "k1" });
  });

  it("reencrypt keeps the AAD binding", () => {
    const aad = { team_id: "t1", account_id: "a1" };
    const old = new CredentialCipher([k1]).encrypt(PLAINTEXT, { aad });
    const rotated = new CredentialCipher([k2, k1]);
    expect(() => rotated.reencrypt(old, { aad: { team_id: "t1", account_id: "a2" } })).toThrow(InternalError);
    const fresh = rotated.reencrypt(old, { aad });
    expect(() => rotated.decrypt(fresh)).toThrow(InternalError);
    expect(rotated.decrypt(fresh, { aad })).toBe(PLAINTEXT);
  });

  it("round-trips the compact string form", () => {
    const cipher = new CredentialCipher(`k1:${k1.key}`);
    const envelope = cipher.encrypt(PLAINTEXT);
    const text = formatEnvelope(envelope);
    expect(text).toBe(`v1:k1:${envelope.iv}:${envelope.tag}:${envelope.ct}`);
    expect(parseEnvelope(text)).toEqual(envelope);
    expect(cipher.decrypt(parseEnvelope(text))).toBe(PLAINTEXT);
    expect(caught(() => parseEnvelope("v2:k1:a:b:c"))).toBeInstanceOf(ValidationError);
    expect(caught(() => parseEnvelope(`v1:k1:${envelope.iv}:${envelope.tag}`))).toBeInstanceOf(ValidationError);
  });

  it("never puts plaintext or key material in any error, inspect or JSON", () => {
    const cipher = new CredentialCipher(parseKeyRing(`k2:${k2.key},k1:${k1.key}`));
    const envelope = cipher.encryptJson(CREDENTIALS, { aad: "x" });
    const errors = [
      caught(() => cipher.decrypt({ ...envelope, ct: flipBit(envelope.ct) }, { aad: "x" })),
      caught(() => cipher.decrypt(envelope, { aad: "y" })),
      caught(() => cipher.decrypt({ ...envelope, kid: "zz" })),
      caught(() => cipher.decrypt({ ...envelope, tag: "!" })),
      caught(() => new CredentialCipher(`k1:${randomBytes(31).toString("base64")}`)),
    ];
    const text = [
      ...errors.map(allTextOf),
      String(cipher),
      JSON.stringify(cipher),
      inspect(cipher, { depth: null, showHidden: true }),
    ].join("\n");
    for (const secret of [...keyTexts, PLAINTEXT, CREDENTIALS.secret_access_key]) {
      expect(text).not.toContain(secret);
    }
    expect(inspect(cipher)).toBe("CredentialCipher(KeyRing(active=k2, keys=[k2, k1]))");
  });

  it("encrypts with a ring built from generateKey()", () => {
    const cipher = new CredentialCipher(`main:${generateKey()}`);
    expect(cipher.decrypt(cipher.encrypt(PLAINTEXT))).toBe(PLAINTEXT);
  });
});
