import { describe, expect, it } from "vitest";
import { detectFindingFormat, mapFinding } from "./prowlerFormat";

/** A Prowler 3/4 native JSON finding (AWS), as `prowler aws -M json` writes it. */
function prowlerAws(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    AssessmentStartTime: "2024-06-01T10:00:00Z",
    FindingUniqueId: "prowler-aws-s3_bucket_public_access-123456789012-us-east-1-logs",
    Provider: "aws",
    Profile: "default",
    AccountId: "123456789012",
    Region: "us-east-1",
    CheckID: "s3_bucket_public_access",
    CheckTitle: "Ensure there are no S3 buckets open to Everyone or Any AWS user",
    CheckType: ["Data Protection"],
    ServiceName: "s3",
    SubServiceName: "",
    Status: "FAIL",
    StatusExtended: "S3 Bucket logs has public access due to bucket policy.",
    Severity: "critical",
    ResourceType: "AwsS3Bucket",
    ResourceId: "logs",
    ResourceArn: "arn:aws:s3:::logs",
    ResourceTags: [
      { Key: "env", Value: "prod" },
      { Key: "owner", Value: "data" },
    ],
    Description: "Public buckets leak data.",
    Risk: "Anyone can read the objects.",
    Remediation: {
      Code: {},
      Recommendation: {
        Text: "Enable Block Public Access.",
        Url: "https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html",
      },
    },
    Compliance: { "CIS-2.0": ["2.1.4"], SOC2: ["cc_6_1"] },
    ...overrides,
  };
}

/** A Prowler OCSF Detection Finding (GCP), as `prowler gcp -M json-ocsf` writes it. */
function ocsfGcp(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    message: "Firewall allow-ssh does expose port 22 (SSH) to the internet.",
    metadata: { event_code: "compute_firewall_ssh_access_from_the_internet_allowed", product: { name: "Prowler" }, version: "1.4.0" },
    severity_id: 5,
    severity: "Critical",
    status: "New",
    status_code: "FAIL",
    status_detail: "Firewall allow-ssh does expose port 22 (SSH) to the internet.",
    unmapped: { compliance: { "CIS-GCP-2.0": ["3.6"], "ISO27001-2013": "A.13.1.1" } },
    finding_info: { title: "Ensure That SSH Access Is Restricted From the Internet", desc: "SSH open to 0.0.0.0/0.", uid: "x" },
    resources: [
      {
        region: "global",
        group: { name: "compute" },
        labels: ["env:prod", "team=net"],
        name: "allow-ssh",
        type: "FirewallRule",
        uid: "projects/acme-prod-4821/global/firewalls/allow-ssh",
      },
    ],
    class_uid: 2004,
    cloud: { account: { uid: "acme-prod-4821", name: "acme prod" }, provider: "gcp", region: "global" },
    remediation: {
      desc: "Restrict the source ranges.",
      references: ["not a url", "https://hub.prowler.com/check/compute_firewall_ssh_access_from_the_internet_allowed"],
    },
    risk_details: "Brute force on SSH.",
    time: 1717236000,
    ...overrides,
  };
}

describe("detectFindingFormat", () => {
  it("tells Prowler JSON from OCSF and refuses anything else", () => {
    expect(detectFindingFormat(prowlerAws())).toBe("prowler");
    expect(detectFindingFormat(ocsfGcp())).toBe("ocsf");
    expect(detectFindingFormat(ocsfGcp({ class_uid: undefined }))).toBe("ocsf"); // finding_info + metadata.event_code
    expect(detectFindingFormat({ foo: 1 })).toBeUndefined();
    expect(detectFindingFormat([prowlerAws()])).toBeUndefined();
    expect(detectFindingFormat("CheckID")).toBeUndefined();
    expect(detectFindingFormat(null)).toBeUndefined();
  });
});

describe("mapFinding", () => {
  it("maps a Prowler native finding to the domain's fields", () => {
    const result = mapFinding(prowlerAws());
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.format).toBe("prowler");
    expect(result.finding).toEqual({
      provider: "aws",
      account_id: "123456789012",
      check_id: "s3_bucket_public_access",
      check_title: "Ensure there are no S3 buckets open to Everyone or Any AWS user",
      status: "FAIL",
      status_extended: "S3 Bucket logs has public access due to bucket policy.",
      severity: "critical",
      service_name: "s3",
      region: "us-east-1",
      resource_uid: "arn:aws:s3:::logs",
      resource_type: "AwsS3Bucket",
      resource_name: "logs",
      resource_tags: [
        { key: "env", value: "prod" },
        { key: "owner", value: "data" },
      ],
      description: "Public buckets leak data.",
      risk: "Anyone can read the objects.",
      remediation: {
        recommendation: "Enable Block Public Access.",
        url: "https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html",
      },
      compliance: [
        { framework: "CIS-2.0", controls: ["2.1.4"] },
        { framework: "SOC2", controls: ["cc_6_1"] },
      ],
    });
    expect("muted" in result.finding).toBe(false);
  });

  it("maps an OCSF finding: check from metadata.event_code, resource from resources[0], compliance from unmapped", () => {
    const result = mapFinding(ocsfGcp());
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.format).toBe("ocsf");
    expect(result.finding).toMatchObject({
      provider: "gcp",
      account_id: "acme-prod-4821",
      check_id: "compute_firewall_ssh_access_from_the_internet_allowed",
      check_title: "Ensure That SSH Access Is Restricted From the Internet",
      status: "FAIL",
      severity: "critical",
      service_name: "compute",
      region: "global",
      resource_uid: "projects/acme-prod-4821/global/firewalls/allow-ssh",
      resource_type: "FirewallRule",
      resource_name: "allow-ssh",
      resource_tags: [
        { key: "env", value: "prod" },
        { key: "team", value: "net" },
      ],
      description: "SSH open to 0.0.0.0/0.",
      risk: "Brute force on SSH.",
      // The first reference that is a URL.
      remediation: {
        recommendation: "Restrict the source ranges.",
        url: "https://hub.prowler.com/check/compute_firewall_ssh_access_from_the_internet_allowed",
      },
      compliance: [
        { framework: "CIS-GCP-2.0", controls: ["3.6"] },
        { framework: "ISO27001-2013", controls: ["A.13.1.1"] },
      ],
    });
  });

  it("reads Azure and GCP account fields of Prowler JSON and lowercases Azure subscription ids", () => {
    const azure = mapFinding(
      prowlerAws({
        Provider: "azure",
        AccountId: undefined,
        Subscription: "8F4E2C1A-6B3D-4E5F-9A7B-2C1D0E9F8A7B",
        Region: undefined,
        Location: "westeurope",
        ResourceArn: undefined,
        ResourceId: "/subscriptions/x/storageAccounts/logs",
        ResourceTags: { env: "prod" },
      }),
    );
    expect(azure.ok && azure.finding).toMatchObject({
      provider: "azure",
      account_id: "8f4e2c1a-6b3d-4e5f-9a7b-2c1d0e9f8a7b",
      region: "westeurope",
      resource_uid: "/subscriptions/x/storageAccounts/logs",
      resource_tags: [{ key: "env", value: "prod" }],
    });
    const gcp = mapFinding(
      prowlerAws({ Provider: "gcp", AccountId: undefined, ProjectId: "acme-prod-4821", Region: undefined, Location: "europe-west1" }),
    );
    expect(gcp.ok && gcp.finding).toMatchObject({ provider: "gcp", account_id: "acme-prod-4821", region: "europe-west1" });
  });

  it("sets muted only when the file says so (Muted, or OCSF status Suppressed)", () => {
    const muted = mapFinding(prowlerAws({ Muted: true }));
    expect(muted.ok && muted.finding.muted).toBe(true);
    const notMuted = mapFinding(prowlerAws({ Muted: false }));
    expect(notMuted.ok && "muted" in notMuted.finding).toBe(false);
    const suppressed = mapFinding(ocsfGcp({ status: "Suppressed" }));
    expect(suppressed.ok && suppressed.finding.muted).toBe(true);
  });

  it("fills defaults: service from the check id, region global, resource uid from the account, INFO as MANUAL", () => {
    const result = mapFinding(
      prowlerAws({ ServiceName: "", Region: "", ResourceArn: "", ResourceId: "", ResourceType: "", Status: "INFO", Compliance: undefined }),
    );
    expect(result.ok && result.finding).toMatchObject({
      service_name: "s3",
      region: "global",
      resource_uid: "123456789012",
      resource_type: "Other",
      status: "MANUAL",
      compliance: [],
    });
  });

  it("clips free text to the stored limits instead of losing the finding", () => {
    const result = mapFinding(prowlerAws({ StatusExtended: "x".repeat(5000), CheckTitle: "t".repeat(1200) }));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.finding.status_extended).toHaveLength(4000);
    expect(result.finding.status_extended.endsWith("…")).toBe(true);
    expect(result.finding.check_title).toHaveLength(1000);
  });

  it("reports every problem of a bad element with its field", () => {
    const result = mapFinding(prowlerAws({ Provider: "oracle", Status: "MAYBE", Severity: "urgent", CheckID: "bad id!" }));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.format).toBe("prowler");
    expect(result.issues.map((i) => i.path).sort()).toEqual(["check_id", "provider", "severity", "status"]);

    const badAccount = mapFinding(prowlerAws({ AccountId: "12345" }));
    expect(badAccount.ok).toBe(false);
    if (!badAccount.ok) expect(badAccount.issues).toEqual([{ path: "account_id", message: expect.stringContaining("12-digit") }]);

    const missing = mapFinding(ocsfGcp({ cloud: { provider: "gcp" }, status_code: undefined }));
    expect(missing.ok).toBe(false);
    if (!missing.ok) expect(missing.issues.map((i) => i.path).sort()).toEqual(["account_id", "status"]);

    const other = mapFinding({ hello: "world" });
    expect(other).toEqual({
      ok: false,
      format: undefined,
      issues: [{ path: "", message: expect.stringContaining("not a Prowler finding") }],
    });
  });

  it("refuses a compliance field that is not a map", () => {
    const result = mapFinding(prowlerAws({ Compliance: ["CIS-2.0"] }));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.issues).toEqual([{ path: "compliance", message: expect.any(String) }]);
  });
});
