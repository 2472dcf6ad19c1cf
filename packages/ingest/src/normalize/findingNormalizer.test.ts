import { describe, expect, it } from "vitest";
import { complianceMapOf, normalizeFinding, providerOf, type RawFinding, severityOf, statusOf, tagsOf } from "./findingNormalizer";

const RAW: RawFinding = {
  provider: "aws",
  accountId: "<account_uid>",
  checkId: "iam_root_mfa_enabled",
  checkTitle: "Ensure MFA is enabled for the root account",
  status: "FAIL",
  statusExtended: "Root account has no MFA.",
  severity: "Critical",
  serviceName: "iam",
  region: "us-east-1",
  resourceUid: "arn:aws:iam::<account_uid>:root",
  resourceType: "AwsIamUser",
  resourceName: "<account_uid>",
  description: undefined,
  risk: undefined,
  recommendation: "Enable MFA.",
  recommendationUrl: "not a url",
  compliance: { "CIS-2.0": ["1.5", "1.5"] },
  muted: false,
  observedAt: undefined,
};

describe("normalizeFinding", () => {
  it("refuses an anonymisation placeholder without an explicit account, saying so", () => {
    expect(normalizeFinding(RAW, {})).toEqual({
      ok: false,
      issues: [
        {
          path: "account_id",
          message:
            '"<account_uid>" is an anonymisation placeholder, not an account id: import this file with an explicit account (--account <id>)',
        },
      ],
    });
  });

  it("replaces the placeholder with the explicit account, also in the resource uid and name", () => {
    const outcome = normalizeFinding(RAW, { account: "123456789012" });
    expect(outcome).toMatchObject({
      ok: true,
      finding: {
        account_id: "123456789012",
        resource_uid: "arn:aws:iam::123456789012:root",
        resource_name: "123456789012",
        severity: "critical",
        compliance: [{ framework: "CIS-2.0", controls: ["1.5"] }],
      },
    });
    // An invalid remediation URL is dropped, the text is kept.
    expect(outcome.ok && outcome.finding.remediation).toEqual({ recommendation: "Enable MFA." });
  });

  it("refuses a record of another account than the explicit one, and ids not in the provider's format", () => {
    expect(normalizeFinding({ ...RAW, accountId: "210987654321" }, { account: "123456789012" })).toMatchObject({
      ok: false,
      issues: [{ path: "account_id", message: "belongs to aws account 210987654321, not to the explicit account 123456789012" }],
    });
    expect(normalizeFinding({ ...RAW, accountId: "12345" }, {})).toMatchObject({
      ok: false,
      issues: [{ path: "account_id", message: '"12345" must be a 12-digit AWS account id' }],
    });
  });

  it("maps the other providers Prowler scans by the record (m365, github)", () => {
    expect(
      normalizeFinding({ ...RAW, provider: "microsoft365", accountId: "contoso.onmicrosoft.com", resourceUid: "policy-1" }, {}),
    ).toMatchObject({ ok: true, finding: { provider: "m365" } });
    expect(normalizeFinding({ ...RAW, provider: "github", accountId: "prowler-cloud", resourceUid: "repo" }, {})).toMatchObject({
      ok: true,
      finding: { provider: "github", account_id: "prowler-cloud" },
    });
    expect(normalizeFinding({ ...RAW, provider: "salesforce", accountId: "x" }, {})).toMatchObject({
      ok: false,
      issues: [{ path: "provider" }],
    });
  });

  it("reads Prowler's values in every shape it writes them", () => {
    expect([severityOf("INFO"), severityOf(5), severityOf("Fatal"), severityOf("bogus")]).toEqual([
      "informational",
      "critical",
      "critical",
      undefined,
    ]);
    expect([statusOf("Success"), statusOf("FAILED"), statusOf("INFO"), statusOf("MUTED")]).toEqual(["PASS", "FAIL", "MANUAL", undefined]);
    expect([providerOf("k8s"), providerOf("AzureCloud"), providerOf("nope")]).toEqual(["kubernetes", "azure", undefined]);
    expect(complianceMapOf("CIS-1.4: 1.20 | KISA-ISMS-P-2023: 2.5.6, 2.6.4")).toEqual({
      "CIS-1.4": ["1.20"],
      "KISA-ISMS-P-2023": ["2.5.6", "2.6.4"],
    });
    expect(complianceMapOf(["CIS-1.5: 1.20", "SOC2: cc_6_7"])).toEqual({ "CIS-1.5": ["1.20"], SOC2: ["cc_6_7"] });
    expect(tagsOf("env=prod | team=sec")).toEqual([
      { key: "env", value: "prod" },
      { key: "team", value: "sec" },
    ]);
    expect(tagsOf([{ Key: "Name", Value: "web" }])).toEqual([{ key: "Name", value: "web" }]);
  });
});
