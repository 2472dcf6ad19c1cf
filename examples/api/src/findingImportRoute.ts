import type { Readable } from "node:stream";
import { auditedImport } from "@cspm-example/worker";
import { INGEST_COLLECTIONS, INGEST_TOOLS, INPUT_ERROR_REASONS, SUPPORTED_FORMATS, streamSource } from "@cspm/ingest";
import { PayloadTooLargeError, ValidationError } from "@cspm/errors";
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { type ApiRoute, defineRoute, registerApiRoutes } from "./apiRoute";
import { booleanParameter, integer, single } from "./querySchemas";
import type { RouteContext } from "./routeContext";

/**
 * The content types `POST /findings/import` accepts. Each is handed to the route as the raw request stream
 * (no buffering); the format is detected by `@cspm/ingest` from the first KiB and must agree with the type
 * (a CSV body sent as `application/json` is `CONTENT_TYPE_MISMATCH`); `application/octet-stream` and
 * `text/plain` leave it to detection alone.
 */
export const IMPORT_CONTENT_TYPES = [
  "application/json",
  "application/x-ndjson",
  "application/ndjson",
  "application/jsonl",
  "application/x-jsonlines",
  "text/csv",
  "application/csv",
  "text/plain",
  "application/octet-stream",
] as const;

const ImportQuery = z.strictObject({
  account_id: single(z.string().min(1, "must not be empty").max(253, "must be at most 253 characters")).optional().meta({
    description:
      "The registered account the file belongs to (its id or provider account id); every record must belong to it. Needed for anonymised ids such as `<account_uid>`. Default: the accounts the records name.",
  }),
  scan_run_id: single(z.string().regex(/^[0-9a-fA-F]{24}$/, "must be a 24-character hex id"))
    .optional()
    .meta({ description: "Import into this scan run (a re-run of a cut import, or the next file of one scan); default: a new run" }),
  full: booleanParameter
    .optional()
    .meta({ description: "`true`: the file is a complete scan of its accounts, so their findings it does not contain are resolved" }),
  complete: booleanParameter
    .optional()
    .meta({ description: "`false`: leave the scan run running for more files (default `true`: complete it)" }),
  batch_size: integer(1, 1000).optional().meta({ description: "Documents per write round trip, 1–1000 (default 1000)" }),
  max_rejects: integer(0, 1_000_000_000).optional().meta({ description: "Stop (and fail the run) once more records were rejected" }),
  target: single(z.string().min(1).max(2048))
    .optional()
    .meta({ description: "The scanned URL, for outputs that do not name it (drHEADer's single-URL report)" }),
});

const Rejection = z.object({ record: z.int(), line: z.int().optional(), path: z.string(), message: z.string() });

/** What `POST /findings/import` answers: `@cspm/ingest`'s import summary. */
export const ImportSummaryView = z
  .object({
    status: z.enum(["completed", "running", "failed"]),
    error: z.string().optional(),
    failure: z.object({ reason: z.enum(INPUT_ERROR_REASONS), record: z.int().optional(), line: z.int().optional() }).optional(),
    scan_run_id: z.string().nullable(),
    team_id: z.string(),
    source: z.string(),
    format: z.enum(SUPPORTED_FORMATS.map((f) => f.id) as [string, ...string[]]).nullable(),
    tool: z.enum(INGEST_TOOLS).nullable(),
    collection: z.enum(INGEST_COLLECTIONS).nullable(),
    records: z.int().min(0),
    accepted: z.int().min(0),
    rejected: z.int().min(0),
    collections: z.record(z.string(), z.int()),
    written: z.int().min(0),
    inserted: z.int().min(0),
    changed: z.int().min(0),
    unchanged: z.int().min(0),
    resolved: z.int().min(0),
    reopened: z.int().min(0),
    passed: z.int().min(0),
    failed: z.int().min(0),
    manual: z.int().min(0),
    errors: z.array(Rejection).meta({ description: "The first rejected records (at most 100); the counts are exact" }),
    errors_truncated: z.boolean(),
    duration_ms: z.number().min(0),
  })
  .meta({ id: "ImportSummary" });

/**
 * The request body, read chunk by chunk; past `limit` bytes it throws `PAYLOAD_TOO_LARGE` (the import stops
 * there). The stream is not destroyed when reading stops early (that would drop the socket before the
 * answer): the rest of the body is discarded as it arrives, so the client gets its 413 (or 400) envelope.
 */
async function* capped(body: Readable, limit: number): AsyncGenerator<Uint8Array> {
  let bytes = 0;
  try {
    for await (const chunk of body.iterator({ destroyOnReturn: false })) {
      bytes += (chunk as Uint8Array).length;
      if (bytes > limit) throw tooLarge(limit);
      yield chunk as Uint8Array;
    }
  } finally {
    if (!body.readableEnded) body.resume();
  }
}

function tooLarge(limit: number): PayloadTooLargeError {
  return new PayloadTooLargeError(
    `The import body is larger than the ${limit} bytes this server accepts (API_IMPORT_BODY_LIMIT); only whole batches before the limit were written.`,
    { details: { limit_bytes: limit } },
  );
}

function isStream(value: unknown): value is Readable {
  return typeof value === "object" && value !== null && typeof (value as Readable).iterator === "function";
}

const FORMATS = SUPPORTED_FORMATS.map((f) => `\`${f.id}\``).join(", ");

/**
 * `POST /findings/import` — the body is a scanner's output file as is (Prowler JSON / OCSF / CSV / ASFF,
 * Nuclei, SSLyze, testssl.sh, humble, drHEADer, Observatory), streamed straight into `@cspm/ingest` (never
 * buffered whole), format detected from its first KiB, at most `importBodyLimit` bytes (413 beyond: the
 * import stops, whole committed batches stay, the run is failed). One audited mutation `findings.import`
 * (`manage_scans`) through the worker's `auditedImport`.
 */
export function findingImportRoute({ responses, importBodyLimit, importBatchSize }: RouteContext): ApiRoute {
  return defineRoute({
    method: "POST",
    url: "/findings/import",
    tag: "findings",
    summary: "Import a scanner output file (the body, streamed) as one scan run, with the finding lifecycle -> 201 with the summary.",
    description:
      `The body is the file as the scanner wrote it; its format is detected from its first KiB (${FORMATS}) and must agree with the ` +
      "Content-Type (`application/json`, `application/x-ndjson`, `application/jsonl`, `text/csv`; `application/octet-stream` or " +
      "`text/plain` leave it to detection). Records that cannot be mapped are rejected one by one (`rejected`, `errors`); a malformed or " +
      "truncated file fails the run after the whole batches already written (400, `details.reason` `MALFORMED_INPUT`, `details.record`). " +
      "A body over the server's limit (`API_IMPORT_BODY_LIMIT`, default 2 GiB) is 413 `PAYLOAD_TOO_LARGE` with `details.limit_bytes`.",
    access: "manage_scans",
    query: ImportQuery,
    body: z.string().meta({ description: "The scanner's output file, as is (JSON, JSON Lines or CSV)" }),
    consumes: IMPORT_CONTENT_TYPES,
    status: 201,
    data: ImportSummaryView,
    errors: ["NOT_FOUND", "CONFLICT", "PAYLOAD_TOO_LARGE"],
    handler: async (request, reply) => {
      const body = request.body;
      if (!isStream(body)) {
        throw new ValidationError("The body is the scanner output file; it is missing.", [
          { path: "body", message: "is required (send the file with its content type, e.g. application/json)" },
        ]);
      }
      // Whatever happens (refused before a byte was read, stopped at a bad record), the rest of the body is
      // discarded as it arrives, so the answer reaches the client and the connection stays usable.
      // (A reader that stopped early may still hold a 'readable' listener, which would keep resume() from flowing.)
      void reply.raw.once("finish", () => {
        if (body.readableEnded) return;
        body.removeAllListeners("readable");
        body.resume();
      });
      const declared = Number(request.headers["content-length"]);
      if (Number.isFinite(declared) && declared > importBodyLimit) throw tooLarge(importBodyLimit);
      const query = request.query;
      const actor = request.actor;
      const summary = await auditedImport(request.scope, request.services, {
        teamId: request.teamId,
        source: streamSource(capped(body, importBodyLimit), "request body"),
        contentType: request.headers["content-type"],
        account: query.account_id,
        ...(query.scan_run_id === undefined ? {} : { scanRunId: query.scan_run_id }),
        ...(query.full === undefined ? {} : { full: query.full }),
        ...(query.complete === undefined ? {} : { complete: query.complete }),
        ...(query.max_rejects === undefined ? {} : { maxRejects: query.max_rejects }),
        ...(query.target === undefined ? {} : { target: query.target }),
        batchSize: query.batch_size ?? importBatchSize,
        requestedBy: actor ? `${actor.type}:${actor.id}` : "api",
      });
      return reply.code(201).header("location", "/scan-activity").send(responses.successResponse(summary));
    },
  });
}

/**
 * Registers `POST /findings/import` in a context of its own, whose content-type parsers hand the raw
 * request stream to the route for every type of `IMPORT_CONTENT_TYPES` (the other routes keep Fastify's
 * JSON parser and body limit); any other type is 400 `VALIDATION_FAILED` (`CONTENT_TYPE_MISMATCH`).
 */
export function registerFindingImportRoute(app: FastifyInstance, context: RouteContext): void {
  void app.register(async (scoped) => {
    scoped.removeAllContentTypeParsers();
    scoped.addContentTypeParser([...IMPORT_CONTENT_TYPES], (_request, payload, done) => done(null, payload));
    scoped.addContentTypeParser("*", (request, _payload, done) => {
      const type = String(request.headers["content-type"] ?? "").split(";", 1)[0] ?? "";
      done(
        new ValidationError(
          `Content-Type "${type.slice(0, 100)}" is not accepted by the import.`,
          [{ path: "headers.content-type", message: `must be one of ${IMPORT_CONTENT_TYPES.join(", ")}` }],
          { details: { reason: "CONTENT_TYPE_MISMATCH" } },
        ),
        undefined,
      );
    });
    registerApiRoutes(scoped, [findingImportRoute(context)]);
  });
}
