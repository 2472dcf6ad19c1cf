/**
 * Credential-free views of a MongoDB connection string: the host list and a redacted form for logs
 * and error messages. Nothing here ever returns the user name, password or query options.
 */

/** A host as written in a connection string: name or IPv4, `[IPv6]`, optional port, or an encoded socket path. */
const HOST_PATTERN = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._%-]+)(?::\d{1,5})?$/;
const SCHEME_PATTERN = /^\s*([A-Za-z][A-Za-z0-9+.-]*):\/\//;

/** What can be said about a connection string without touching its secrets. */
export interface ConnectionStringSummary {
  /** `mongodb`, `mongodb+srv`, or whatever scheme was written (`undefined` when there is none). */
  readonly scheme: string | undefined;
  /** Hosts (with ports) as written; for `mongodb+srv` the SRV name. Empty when they cannot be read safely. */
  readonly hosts: readonly string[];
}

/**
 * Reads the scheme and host list of a connection string. Credentials are skipped; when the string is
 * malformed in a way that could put part of a password where a host should be (an unescaped `@`, `/`
 * or `?` in the user info), no host is returned at all. Never throws.
 */
export function summarizeConnectionString(uri: string): ConnectionStringSummary {
  const scheme = SCHEME_PATTERN.exec(uri);
  if (!scheme) return { scheme: undefined, hosts: [] };
  const rest = uri.slice(scheme[0].length);
  // RFC 3986: the authority ends at the first "/", "?" or "#"; user info cannot contain them unescaped.
  const end = rest.search(/[/?#]/);
  const authority = end === -1 ? rest : rest.slice(0, end);
  const after = end === -1 ? "" : rest.slice(end);
  const at = authority.lastIndexOf("@");
  // An "@" after the authority means the user info held an unescaped delimiter: the "authority" we cut
  // may be part of the password, so name nothing.
  if (after.includes("@")) return { scheme: scheme[1], hosts: [] };
  const hostList = at === -1 ? authority : authority.slice(at + 1);
  const hosts = hostList.split(",").filter((host) => host !== "");
  if (hosts.length === 0 || !hosts.every((host) => HOST_PATTERN.test(host))) return { scheme: scheme[1], hosts: [] };
  return { scheme: scheme[1], hosts };
}

/**
 * The connection string reduced to scheme and hosts (`mongodb://user:pw@a:27017,b/db?x=y` ->
 * `mongodb://a:27017,b`), safe for logs. Unreadable strings become `"<invalid connection string>"`.
 */
export function redactConnectionString(uri: string): string {
  const { scheme, hosts } = summarizeConnectionString(uri);
  if (scheme === undefined || hosts.length === 0) return "<invalid connection string>";
  return `${scheme}://${hosts.join(",")}`;
}

/** Replaces every connection string inside free text (an error message, say) by its redacted form. */
export function scrubConnectionStrings(text: string): string {
  return text.replace(/[A-Za-z][A-Za-z0-9+.-]*:\/\/[^\s"'`<>]*/g, (match) => redactConnectionString(match));
}
