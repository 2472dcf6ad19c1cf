import { readFileSync } from "node:fs";
import { parse } from "csv-parse/sync";
import { describe, expect, it } from "vitest";
import { bufferSource } from "../read/byteSource";
import { openIngestion } from "../ingestRecords";
import { ingestFile, realScan } from "../testing/realScans";

describe("testssl.sh", () => {
  it("JSON (--jsonfile) of the same findings maps to the same result as the CSV", async () => {
    const rows = parse(readFileSync(realScan("ssl/testssl-demo.csv")), { columns: true }) as Record<string, string>[];
    const json = rows.map((r) => ({
      id: r["id"],
      ip: r["fqdn/ip"],
      port: r["port"],
      severity: r["severity"],
      cve: r["cve"],
      cwe: r["cwe"],
      finding: r["finding"],
    }));
    const at = new Date("2024-05-01T00:00:00Z");
    const fromCsv = await ingestFile(realScan("ssl/testssl-demo.csv"), { scannedAt: at });
    const ingestion = await openIngestion(bufferSource(JSON.stringify(json), "testssl.json"), { scannedAt: at });
    const documents = [];
    for await (const e of ingestion.events) if (e.kind === "document") documents.push(e.document);
    expect(ingestion.format).toBe("testssl-json");
    expect(documents).toEqual(fromCsv.documents.map((d) => d.document));
    expect(documents[0]).toMatchObject({ target: "demo.defectdojo.org", grade: "A", issues: [] });
  });

  it("groups rows per host and port, and flags vulnerable tests and legacy protocols", async () => {
    const csv = [
      '"id","fqdn/ip","port","severity","finding","cve","cwe"',
      '"TLS1","old.example/10.0.0.1","443","LOW","offered (deprecated)","",""',
      '"heartbleed","old.example/10.0.0.1","443","CRITICAL","VULNERABLE","CVE-2014-0160","CWE-119"',
      '"TLS1_3","new.example/10.0.0.2","8443","OK","offered with final","",""',
    ].join("\n");
    const ingestion = await openIngestion(bufferSource(csv, "two.csv"));
    const documents = [];
    for await (const e of ingestion.events) if (e.kind === "document") documents.push(e.document);
    expect(documents).toHaveLength(2);
    expect(documents[0]).toMatchObject({
      target: "old.example",
      port: 443,
      protocols: ["TLSv1.0"],
      grade: "F",
      vulnerabilities: [{ id: "heartbleed", vulnerable: true, severity: "critical", cve_ids: ["CVE-2014-0160"] }],
    });
    expect(documents[1]).toMatchObject({ target: "new.example", port: 8443, protocols: ["TLSv1.3"] });
  });
});
