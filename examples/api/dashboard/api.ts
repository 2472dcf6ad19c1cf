/*
 * The page's one way to the API: same origin, `Authorization: Bearer <key>`, the `@cspm/response` envelope
 * unwrapped. A failure is an `ApiError` with the envelope's status, code and message.
 */

/** A failed API call: the HTTP status and the envelope's error code and message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

interface Envelope {
  readonly success?: boolean;
  readonly data?: unknown;
  readonly error?: { readonly code?: unknown; readonly message?: unknown };
}

/** GETs `path` (with its query string) with the key; resolves to the envelope's `data`, rejects with `ApiError`. */
export async function apiGet<T>(key: string, path: string): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, { headers: { authorization: `Bearer ${key}`, accept: "application/json" }, cache: "no-store" });
  } catch {
    throw new ApiError(0, "NETWORK", "The API did not answer (is the server still running?).");
  }
  let body: Envelope | undefined;
  try {
    body = (await response.json()) as Envelope;
  } catch {
    body = undefined;
  }
  if (response.ok && body?.success === true) return body.data as T;
  const code = typeof body?.error?.code === "string" ? body.error.code : `HTTP_${response.status}`;
  const message = typeof body?.error?.message === "string" ? body.error.message : `The API answered ${response.status}.`;
  throw new ApiError(response.status, code, message);
}
