import { describe, expect, it } from "vitest";
import { mapNucleiMatch } from "./nuclei";

const AT = new Date("2024-01-01T00:00:00Z");

describe("Nuclei matches", () => {
  it("reads the 2.x and 3.x spellings to the same match", () => {
    const v2 = mapNucleiMatch(
      {
        templateID: "git-config",
        info: { name: "Git Config", severity: "medium", tags: "git,config" },
        type: "http",
        host: "https://a.example",
        matched: "https://a.example/.git/config",
        matcher_name: "x",
        timestamp: "2024-02-01T10:00:00+01:00",
      },
      AT,
    );
    const v3 = mapNucleiMatch(
      {
        "template-id": "git-config",
        info: { name: "Git Config", severity: "medium", tags: ["git", "config"] },
        type: "http",
        host: "https://a.example",
        "matched-at": "https://a.example/.git/config",
        "matcher-name": "x",
        timestamp: "2024-02-01T10:00:00+01:00",
      },
      AT,
    );
    expect(v2).toEqual(v3);
    expect(v2).toMatchObject({
      match: {
        template_id: "git-config",
        severity: "medium",
        tags: ["git", "config"],
        matcher_name: "x",
        scanned_at: new Date("2024-02-01T09:00:00Z"),
      },
    });
  });

  it("rejects a match without template or with an unknown protocol, by field", () => {
    expect(mapNucleiMatch({ type: "carrier-pigeon", host: "h" }, AT)).toEqual({
      issues: [
        { path: "template-id", message: "is missing" },
        { path: "type", message: "must be one of http, dns, tcp, ssl, file, headless, network, websocket, whois, code, javascript" },
      ],
    });
  });

  it("keeps CVE and CWE ids of the classification in stored form", () => {
    expect(
      mapNucleiMatch(
        {
          "template-id": "CVE-2021-44228",
          info: {
            name: "Log4j",
            severity: "critical",
            classification: { "cve-id": ["cve-2021-44228"], "cwe-id": ["cwe-502"], "cvss-score": 10 },
          },
          type: "http",
          host: "h",
          "matched-at": "h/x",
        },
        AT,
      ),
    ).toMatchObject({
      match: { severity: "critical", classification: { cve_ids: ["CVE-2021-44228"], cwe_ids: ["CWE-502"], cvss_score: 10 } },
    });
  });
});
