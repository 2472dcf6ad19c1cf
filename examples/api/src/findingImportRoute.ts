import { importDependenciesFrom, importProwler, mapFinding, readJsonElements, valueFindingSource } from "@cspm-example/worker";
import { ValidationError } from "@cspm/errors";
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { parseRequestPart } from "./parseRequestPart";
import type { RouteContext } from "./routeContext";

const ImportQuery = z.strictObject({
  /** The account's id or provider account id; derived from the file when absent. */
  accountId: z.string().min(1).max(253).optional(),
  batchSize: z.coerce.number().int().min(1).max(10_000).optional(),
});

/** The one account the findings of a body belong to, when they name exactly one. Throws `VALIDATION_FAILED` otherwise. */
function accountOfBody(elements: readonly unknown[]): string {
  const accounts = new Set<string>();
  for (const element of elements) {
    const mapped = mapFinding(element);
    if (mapped.ok) accounts.add(mapped.finding.account_id);
    if (accounts.size > 1) break;
  }
  if (accounts.size === 1) return [...accounts][0] as string;
  if (accounts.size === 0) {
    const first = elements.length === 0 ? undefined : mapFinding(elements[0]);
    const issues =
      first !== undefined && !first.ok
        ? first.issues.map((i) => ({ path: `0${i.path ? `.${i.path}` : ""}`, message: i.message }))
        : [{ path: "body", message: "holds no finding" }];
    throw new ValidationError("The body holds no importable Prowler or OCSF finding, so its account cannot be derived.", issues);
  }
  throw new ValidationError("The findings belong to more than one account; import one account at a time or pass accountId.", [
    { path: "accountId", message: `is required when the file names several accounts (${[...accounts].slice(0, 5).join(", ")})` },
  ]);
}

/**
 * `POST /findings/import[?accountId=…&batchSize=…]` — the body is a Prowler output file: a JSON array of
 * Prowler (native JSON) or OCSF findings (`application/json`), or JSON Lines (`application/x-ndjson`).
 * Imports through the worker's `importProwler` (one scan run, pending -> running -> completed|failed,
 * idempotent upserts in batches) -> 201 with the counts; a file with nothing importable -> 400 with the
 * failed run's id and the first issues; an unregistered account -> 404. Its body limit is its own (25 MiB default).
 */
export function registerFindingImportRoute(app: FastifyInstance, context: RouteContext): void {
  const { responses, importBodyLimit, importBatchSize } = context;
  app.register(async (scoped) => {
    scoped.addContentTypeParser(
      "application/x-ndjson",
      { parseAs: "string", bodyLimit: importBodyLimit },
      async (_request: unknown, body: string | Buffer) => {
        const elements: unknown[] = [];
        const text = String(body);
        for await (const element of readJsonElements(
          (async function* () {
            yield text;
          })(),
        ))
          elements.push(element);
        return elements;
      },
    );
    scoped.post("/findings/import", { bodyLimit: importBodyLimit }, async (request, reply) => {
      const query = parseRequestPart(ImportQuery, request.query, "query");
      const elements: readonly unknown[] = Array.isArray(request.body) ? request.body : [request.body];
      const account = query.accountId ?? accountOfBody(elements);
      // One audited mutation for the whole import (permission manage_scans), through the outbox: an import
      // writes in batches, not in one transaction. A failed run is recorded as a failure.
      const report = await request.services.audited(
        {
          action: "findings.import",
          permission: "manage_scans",
          target: { type: "cloud_account", id: account },
          changes: { account, batchSize: query.batchSize ?? importBatchSize, elements: elements.length },
          mode: "outbox",
          metadataOf: (r: Awaited<ReturnType<typeof importProwler>>) => ({
            scan_run_id: r.scan_run_id,
            total: r.total,
            inserted: r.inserted,
            updated: r.updated,
            rejected: r.rejected,
          }),
        },
        request.teamId,
        async () => {
          const result = await importProwler(importDependenciesFrom(request.scope), {
            teamId: request.teamId,
            account,
            source: valueFindingSource(elements),
            batchSize: query.batchSize ?? importBatchSize,
            requestedBy: request.actor ? `${request.actor.type}:${request.actor.id}` : "api",
          });
          if (result.status === "failed") {
            throw new ValidationError(
              result.error ?? "The import failed.",
              result.issues.map((issue) => ({ path: `${issue.index}${issue.path ? `.${issue.path}` : ""}`, message: issue.message })),
              { details: { scan_run_id: result.scan_run_id, total: result.total, rejected: result.rejected, written: result.written } },
            );
          }
          return result;
        },
      );
      return reply.code(201).header("location", `/scan-activity`).send(responses.successResponse(report));
    });
  });
}
