/** The text that replaces a secret value. */
export const REDACTED = "[REDACTED]";

/**
 * Name fragments that mark a key as secret. Keys are compared lower-cased with everything but letters
 * and digits removed, and match when they contain a fragment: `client_secret`, `X-Api-Key`,
 * `secretAccessKey`, `aws_session_token` all match.
 */
export const DEFAULT_SECRET_KEY_FRAGMENTS: readonly string[] = Object.freeze([
  "secret",
  "password",
  "passwd",
  "passphrase",
  "pwd",
  "token",
  "privatekey",
  "accesskey",
  "credentials",
  "apikey",
  "authorization",
  "cookie",
  "connectionstring",
  "sessionkey",
]);

/** Options for `redactSecrets`. */
export interface RedactOptions {
  /** Extra key names (or fragments) to treat as secret, on top of `DEFAULT_SECRET_KEY_FRAGMENTS`; same normalisation. */
  readonly keys?: readonly string[];
  /** What secret values become; default `"[REDACTED]"`. */
  readonly replacement?: string;
}

function normalizeKey(key: string): string {
  return key.toLowerCase().replace(/[^a-z0-9]/g, "");
}

function secretKeyMatcher(extra: readonly string[] = []): (key: string) => boolean {
  const fragments = [...DEFAULT_SECRET_KEY_FRAGMENTS, ...extra.map(normalizeKey)].filter((f) => f.length > 0);
  return (key) => {
    const normalized = normalizeKey(key);
    return fragments.some((fragment) => normalized.includes(fragment));
  };
}

const defaultMatcher = secretKeyMatcher();

/** A `scheme://` and the whitespace-free rest of the URI. */
const URI_PATTERN = /\b([A-Za-z][A-Za-z0-9+.-]*:\/\/)(\S+)/g;

/**
 * Hides the user info of every `scheme://…@host` in `text`. The user info runs to the LAST "@" of the
 * whitespace-free token, so an unescaped "@", "/" or "?" in a password cannot leave part of it visible;
 * the user name is kept only when it is plainly one (`user:…`), a lone token (`scheme://token@host`) is hidden.
 */
function redactUserinfo(text: string, replacement: string): string {
  return text.replace(URI_PATTERN, (match, scheme: string, rest: string) => {
    const at = rest.lastIndexOf("@");
    if (at === -1) return match;
    const userinfo = rest.slice(0, at);
    const colon = userinfo.indexOf(":");
    const user = colon === -1 ? "" : userinfo.slice(0, colon);
    const kept = colon !== -1 && !/[/?#]/.test(user) ? `${user}:` : "";
    return `${scheme}${kept}${replacement}@${rest.slice(at + 1)}`;
  });
}

/** `?name=value` / `&name=value` / `;name=value` query parameters. */
const QUERY_PARAM_PATTERN = /([?&;])([^\s=&;#?]+)=([^\s&;#]*)/g;

function redactText(text: string, isSecretKey: (key: string) => boolean, replacement: string): string {
  if (!text.includes("://") && !text.includes("=")) return text;
  return redactUserinfo(text, replacement).replace(QUERY_PARAM_PATTERN, (match, sep: string, name: string) =>
    isSecretKey(name) ? `${sep}${name}=${replacement}` : match,
  );
}

/**
 * Hides the password of every `scheme://user:password@host` in `text` (keeping the user, so logs stay
 * useful) and the value of secret-looking query parameters (`?password=`, `&token=`). Never throws.
 */
export function redactConnectionString(text: string): string {
  return typeof text === "string" ? redactText(text, defaultMatcher, REDACTED) : text;
}

function isPlainObject(value: object): value is Record<string, unknown> {
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * A deep copy of `value` safe to log: values under secret-looking keys become `"[REDACTED]"` (`null` and
 * `undefined` stay, so "missing" remains visible), passwords in connection strings anywhere are hidden,
 * `Error`s become `{ name, message }` without the stack, cycles become `"[Circular]"`. Plain objects,
 * arrays, `Map`, `Set`, `Date`, `URL` and binary values are copied; other class instances (e.g. `ObjectId`)
 * are kept by reference. Never throws.
 */
export function redactSecrets<T>(value: T, options: RedactOptions = {}): T {
  const isSecretKey = options.keys && options.keys.length > 0 ? secretKeyMatcher(options.keys) : defaultMatcher;
  const replacement = options.replacement ?? REDACTED;
  const ancestors = new Set<object>();

  const underKey = (key: string, child: unknown): unknown =>
    isSecretKey(key) && child !== null && child !== undefined ? replacement : visit(child);

  const visit = (current: unknown): unknown => {
    if (typeof current === "string") return redactText(current, isSecretKey, replacement);
    if (typeof current !== "object" || current === null) return current;
    if (ancestors.has(current)) return "[Circular]";
    ancestors.add(current);
    try {
      if (Array.isArray(current)) return current.map((item) => visit(item));
      if (current instanceof Date) return new Date(current.getTime());
      if (current instanceof URL) return redactText(current.href, isSecretKey, replacement);
      if (Buffer.isBuffer(current)) return Buffer.from(current);
      if (ArrayBuffer.isView(current) && !(current instanceof DataView)) return (current as Uint8Array).slice();
      if (current instanceof Map) {
        return new Map([...current].map(([key, child]) => [key, typeof key === "string" ? underKey(key, child) : visit(child)]));
      }
      if (current instanceof Set) return new Set([...current].map((item) => visit(item)));
      if (current instanceof Error) {
        const copy: Record<string, unknown> = { name: current.name, message: redactText(current.message, isSecretKey, replacement) };
        for (const [key, child] of Object.entries(current)) {
          if (key !== "stack" && key !== "cause") copy[key] = underKey(key, child);
        }
        return copy;
      }
      if (!isPlainObject(current)) return current;
      const copy: Record<string, unknown> = {};
      for (const [key, child] of Object.entries(current)) copy[key] = underKey(key, child);
      return copy;
    } finally {
      ancestors.delete(current);
    }
  };

  return visit(value) as T;
}
