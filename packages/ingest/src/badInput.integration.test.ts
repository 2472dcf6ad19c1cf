import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { importScan } from "./importScan";
import { openIngestion } from "./ingestRecords";
import { bufferSource, fileSource } from "./read/byteSource";
import { type IngestTestContext, openIngestTestContext } from "./testing/ingestTestContext";
import { realScan } from "./testing/realScans";
import { distinctAsffResource, repeatWithDistinctResources } from "./testing/scaledFindings";
import { ingestFile } from "./testing/realScans";

let ctx: IngestTestContext;
beforeAll(async () => {
  ctx = await openIngestTestContext();
});
afterAll(async () => {
  await ctx?.dispose();
});

async function drain(text: string | Buffer, options = {}) {
  const ingestion = await openIngestion(bufferSource(text, "bad-input"), options);
  const rejections = [];
  for await (const event of ingestion.events) if (event.kind === "rejection") rejections.push(event.rejection);
  return { ingestion, rejections };
}

const ASFF = repeatWithDistinctResources(realScan("prowler/prowler-3-aws-25.asff.json"), 250, distinctAsffResource);

describe("bad input: a clear error with where, nothing half-written beyond whole committed batches", () => {
  it("truncated JSON: the import fails after the whole batches before the cut; a re-run with the whole file completes", async () => {
    const text = JSON.stringify(ASFF);
    const truncated = text.slice(0, Math.floor(text.length * 0.7));
    const teamId = "team-truncated";
    const failed = await importScan(ctx.repositories, bufferSource(truncated, "cut.json"), { teamId, batchSize: 50, full: true });
    expect(failed.status).toBe("failed");
    expect(failed.error).toMatch(/cut\.json is not valid JSON after \d+ record\(s\), near byte \d+/);
    const written = await ctx.raw("CLOUD_SECURITY", "prowler_findings").countDocuments({ team_id: teamId });
    expect(written % 50).toBe(0); // only whole batches
    expect(written).toBe(failed.written);
    expect(written).toBeGreaterThan(0);
    expect(written).toBeLessThan(250);
    const run = await ctx.raw("ORCHESTRATION", "scan_runs").findOne({ team_id: teamId });
    expect(run).toMatchObject({ status: "failed" });
    expect(String(run?.["error"])).toMatch(/not valid JSON/);
    // Nothing was resolved by the failed run.
    expect(await ctx.raw("CLOUD_SECURITY", "prowler_findings").countDocuments({ team_id: teamId, resolved_at: { $exists: true } })).toBe(0);

    const rerun = await importScan(ctx.repositories, bufferSource(text, "whole.json"), {
      teamId,
      scanRunId: (run?._id as { toHexString(): string }).toHexString(),
      batchSize: 50,
      full: true,
    });
    expect(rerun).toMatchObject({ status: "completed", written: 250, inserted: 250 });
    expect(await ctx.raw("CLOUD_SECURITY", "prowler_findings").countDocuments({ team_id: teamId })).toBe(250);
  });

  it("wrong content type: the declared type must match the bytes", async () => {
    const csv = readFileSync(realScan("prowler/prowler-5-aws.csv"));
    await expect(openIngestion(bufferSource(csv, "body"), { contentType: "application/json" })).rejects.toMatchObject({
      code: "VALIDATION_FAILED",
      message: "body: the content type says application/json, but the body is CSV (prowler-csv).",
      details: { reason: "CONTENT_TYPE_MISMATCH" },
    });
    await expect(openIngestion(bufferSource(csv, "body"), { contentType: "text/html; charset=utf-8" })).rejects.toMatchObject({
      details: { reason: "CONTENT_TYPE_MISMATCH" },
    });
    await expect(openIngestion(bufferSource(csv, "body"), { contentType: "text/csv" })).resolves.toMatchObject({ format: "prowler-csv" });
  });

  it("a CSV without a required column: one error naming the column and line 1; nothing is written", async () => {
    const csv = readFileSync(realScan("prowler/prowler-5-aws.csv"), "utf8").replace("STATUS;STATUS_EXTENDED", "STATE;STATUS_EXTENDED");
    const teamId = "team-missing-column";
    const summary = await importScan(ctx.repositories, bufferSource(csv, "no-status.csv"), { teamId, account: "123456789012" });
    expect(summary).toMatchObject({ status: "failed", written: 0 });
    expect(summary.error).toMatch(/^no-status\.csv: the header \(line 1\) has no STATUS column; it has AUTH_METHOD, TIMESTAMP/);
    expect(await ctx.raw("CLOUD_SECURITY", "prowler_findings").countDocuments({ team_id: teamId })).toBe(0);
  });

  it("a CSV row with a missing field is one rejection with its line; the other rows import", async () => {
    const lines = readFileSync(realScan("prowler/prowler-5-aws.csv"), "utf8").split("\n");
    lines[2] = (lines[2] as string).split(";").slice(0, 10).join(";");
    const { ingestion, rejections } = await drain(lines.join("\n"), { account: "123456789012" });
    expect(rejections).toEqual([{ record: 1, line: 3, path: "", message: "has 10 fields; the header has 42" }]);
    expect(ingestion.stats).toMatchObject({ records: 4, rejected: 1, documents: { prowler_findings: 3 } });
  });

  it("a record with a 10 MB field is rejected by record index and field; the stream goes on", async () => {
    const records = ASFF.slice(0, 3).map((r) => structuredClone(r));
    (records[1] as Record<string, unknown>)["Description"] = "x".repeat(10 * 1024 * 1024);
    const { ingestion, rejections } = await drain(JSON.stringify(records));
    expect(rejections).toEqual([
      { record: 1, path: "Description", message: "is 10485760 characters long; a field may hold at most 1048576" },
    ]);
    expect(ingestion.stats).toMatchObject({ records: 3, rejected: 1, documents: { prowler_findings: 2 } });
  });

  it("NUL bytes: in the first KiB the input is refused as binary; inside a record that record is rejected", async () => {
    const text = JSON.stringify(ASFF.slice(0, 3));
    await expect(
      openIngestion(
        bufferSource(Buffer.concat([Buffer.from(text.slice(0, 100)), Buffer.from([0]), Buffer.from(text.slice(100))]), "nul.json"),
      ),
    ).rejects.toMatchObject({
      message: "nul.json contains NUL bytes (first at byte 100): it is binary, not a scanner's text output.",
      details: { reason: "BINARY_INPUT", byte: 100 },
    });
    const lines = ASFF.slice(0, 3).map((r, i) => (i === 2 ? JSON.stringify({ ...r, Title: "a\u0000b" }) : JSON.stringify(r)));
    const { rejections } = await drain(lines.join("\n"));
    expect(rejections).toEqual([{ record: 2, line: 3, path: "Title", message: "contains a NUL byte" }]);
  });

  it("a file of another tool: one error that lists the supported formats and what was seen", async () => {
    const trivy = JSON.stringify({ SchemaVersion: 2, ArtifactName: "alpine:3.19", ArtifactType: "container_image", Results: [] });
    const error = await openIngestion(bufferSource(trivy, "trivy.json")).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: "VALIDATION_FAILED",
      details: { reason: "UNKNOWN_FORMAT", seen: 'JSON with keys "SchemaVersion", "ArtifactName", "ArtifactType", "Results"' },
    });
    expect((error as Error).message).toMatch(/^trivy\.json is not a supported scanner output/);
    expect((error as Error).message).toContain("nuclei (Nuclei JSON / JSON Lines");
    expect((error as { details: { supported: string[] } }).details.supported).toHaveLength(13);
    await expect(openIngestion(bufferSource("<html><body>502 Bad Gateway</body></html>", "page"))).rejects.toMatchObject({
      details: { reason: "UNKNOWN_FORMAT", seen: 'text starting "<html><body>502 Bad Gateway</body></html>"' },
    });
  });

  it("an empty array or empty file is refused; a file whose records are all rejected fails its run", async () => {
    await expect(importScan(ctx.repositories, bufferSource("[ ]", "empty.json"), { teamId: "team-empty" })).rejects.toMatchObject({
      message: "empty.json is an empty JSON array: there is no record to import.",
      details: { reason: "NO_IMPORTABLE_RECORD" },
    });
    expect(await ctx.raw("ORCHESTRATION", "scan_runs").countDocuments({ team_id: "team-empty" })).toBe(0);
    const summary = await importScan(ctx.repositories, await fileSource(realScan("prowler/prowler-5-gcp.ocsf.json")), {
      teamId: "team-empty",
    });
    expect(summary).toMatchObject({ status: "failed", records: 5, rejected: 5, written: 0 });
    expect(summary.error).toBe("prowler-5-gcp.ocsf.json holds no importable record (5 read, 5 rejected).");
    await expect(openIngestion(bufferSource("  \n", "blank"))).rejects.toMatchObject({ details: { reason: "EMPTY_INPUT" } });
  });

  it("a JSON Lines file with a broken line: that line is one rejection, the next lines import", async () => {
    const lines = readFileSync(realScan("nuclei/nuclei-many.jsonl"), "utf8").split("\n");
    lines[3] = (lines[3] as string).slice(0, 40);
    const { ingestion, rejections } = await drain(lines.join("\n"));
    expect(rejections).toHaveLength(1);
    expect(rejections[0]).toMatchObject({ record: 3, line: 4, path: "" });
    expect(rejections[0]?.message).toMatch(/^is not valid JSON/);
    expect(ingestion.stats.documents.nuclei_scans).toBe(17);
  });

  it("maxRejects stops the stream with the record that crossed it", async () => {
    const { ingestion } = await ingestFile(realScan("prowler/prowler-5-aws.ocsf.json"), {});
    expect(ingestion.stats.rejected).toBe(5);
    const limited = await openIngestion(await fileSource(realScan("prowler/prowler-5-aws.ocsf.json")), { maxRejects: 2 });
    const consume = async () => {
      for await (const _ of limited.events) {
        // drain
      }
    };
    await expect(consume()).rejects.toMatchObject({ details: { reason: "TOO_MANY_REJECTS", record: 2, max_rejects: 2 } });
  });
});
