import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { realScan } from "../testing/realScans";
import { DETECTION_BYTES, detectFormat } from "./detectFormat";

const EXPECTED: readonly [string, string, string][] = [
  ["prowler/prowler-3-aws-one.json", "prowler-json", "array"],
  ["prowler/prowler-4-aws-one.ocsf.json", "prowler-ocsf", "array"],
  ["prowler/prowler-4.5-aws-one.ocsf.json", "prowler-ocsf", "array"],
  ["prowler/prowler-5-aws.ocsf.json", "prowler-ocsf", "array"],
  ["prowler/prowler-5-kubernetes.ocsf.json", "prowler-ocsf", "array"],
  ["prowler/prowler-5-azure.csv", "prowler-csv", "csv"],
  ["prowler/prowler-3-aws-25.asff.json", "asff", "array"],
  ["prowler/securityhub-inspector-asff-one.json", "asff", "array"],
  ["nuclei/nuclei-many.jsonl", "nuclei", "lines"],
  ["nuclei/nuclei-v3-multiple.jsonl", "nuclei", "array"],
  ["ssl/sslyze-one-target-many.json", "sslyze", "object"],
  ["ssl/sslyze-old-one-target-many.json", "sslyze", "object"],
  ["ssl/testssl-demo.csv", "testssl-csv", "csv"],
  ["headers/humble-many.json", "humble", "values"],
  ["headers/drheader-scan.json", "drheader", "array"],
  ["headers/observatory-demo.json", "observatory", "values"],
];

describe("detectFormat", () => {
  it.each(EXPECTED)("%s -> %s (%s) from its first KiB alone", (file, format, container) => {
    const head = readFileSync(realScan(file)).subarray(0, DETECTION_BYTES);
    expect(detectFormat(head, file)).toMatchObject({ format: { id: format }, container });
  });

  it("reads the bytes, not the name: a .jsonl that holds a JSON array is read as an array", () => {
    expect(detectFormat(readFileSync(realScan("nuclei/nuclei-v3-multiple.jsonl"))).container).toBe("array");
  });

  it("tells JSON Lines from a pretty-printed object and from an ASFF envelope", () => {
    const finding = readFileSync(realScan("prowler/prowler-3-aws-one.json"), "utf8").trim().slice(1, -1).trim();
    expect(detectFormat(Buffer.from(`${JSON.stringify(JSON.parse(finding))}\n${JSON.stringify(JSON.parse(finding))}\n`)).container).toBe(
      "lines",
    );
    expect(detectFormat(Buffer.from(JSON.stringify(JSON.parse(finding), null, 2))).container).toBe("values");
    expect(
      detectFormat(Buffer.from('{ "Findings": [ { "SchemaVersion": "2018-10-08", "ProductArn": "x", "GeneratorId": "y" } ] }')),
    ).toMatchObject({
      format: { id: "asff" },
      container: "object",
    });
  });

  it("skips a UTF-8 byte order mark", () => {
    const csv = readFileSync(realScan("ssl/testssl-demo.csv"));
    expect(detectFormat(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), csv])).format.id).toBe("testssl-csv");
  });
});
