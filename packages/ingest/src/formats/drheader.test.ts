import { describe, expect, it } from "vitest";
import { bufferSource } from "../read/byteSource";
import { openIngestion } from "../ingestRecords";
import { ingestFile, realScan } from "../testing/realScans";

describe("drHEADer", () => {
  it("a single-URL report without --target: every rule record rejected, saying to pass a target", async () => {
    const { documents, rejections } = await ingestFile(realScan("headers/drheader-scan.json"));
    expect(documents).toEqual([]);
    expect(rejections).toHaveLength(6);
    expect(rejections[0]).toEqual({
      record: 0,
      path: "url",
      message: "drHEADer's single-URL report does not name its URL: import it with an explicit target (--target <url>)",
    });
  });

  it("bulk output: one result per { url, report }", async () => {
    const bulk = [
      { url: "https://a.example", report: [{ rule: "X-Frame-Options", severity: "high", message: "Header not included in response" }] },
      { url: "https://b.example", report: [] },
    ];
    const ingestion = await openIngestion(bufferSource(JSON.stringify(bulk), "bulk.json"));
    const documents = [];
    for await (const e of ingestion.events) if (e.kind === "document") documents.push(e.document);
    expect(documents).toMatchObject([
      { target: "https://a.example/", missing_headers: ["x-frame-options"], score: 85, grade: "B" },
      { target: "https://b.example/", issues: [], score: 100, grade: "A" },
    ]);
  });
});
