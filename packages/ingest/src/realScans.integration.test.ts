import { readdirSync } from "node:fs";
import { dirname } from "node:path";
import type { Document } from "mongodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { IngestCollection } from "./formats/formatDefinition";
import { importScan } from "./importScan";
import { fileSource } from "./read/byteSource";
import { type IngestTestContext, openIngestTestContext } from "./testing/ingestTestContext";
import { FIXTURE_ACCOUNTS, realScan } from "./testing/realScans";

let ctx: IngestTestContext;
beforeAll(async () => {
  ctx = await openIngestTestContext();
});
afterAll(async () => {
  await ctx?.dispose();
});

const DATABASE: Record<IngestCollection, "CLOUD_SECURITY" | "SECURITY_SCANS"> = {
  prowler_findings: "CLOUD_SECURITY",
  nuclei_scans: "SECURITY_SCANS",
  ssl_scans: "SECURITY_SCANS",
  header_scans: "SECURITY_SCANS",
};

interface Case {
  readonly file: string;
  readonly collection: IngestCollection;
  readonly account?: string;
  readonly target?: string;
  /** Documents the file stores (records with the same identity are one finding). */
  readonly stored: number;
  /** Assertions on specific stored documents (`find` runs within this case's team). */
  check(find: (filter: Document) => Promise<Document | null>): Promise<void>;
}

const CASES: readonly Case[] = [
  {
    file: "prowler/prowler-3-aws-one.json",
    collection: "prowler_findings",
    stored: 1,
    async check(find) {
      const f = await find({ check_id: "acm_certificates_expiration_check" });
      expect(f).toMatchObject({
        provider: "aws",
        source: "prowler",
        account_id: "999999999999",
        status: "FAIL",
        severity: "high",
        region: "us-east-1",
        service_name: "acm",
        resource_uid: "arn:aws:acm:us-east-1:999999999999:certificate/ffffffff-0000-0000-0000-000000000000",
        resource_type: "AwsCertificateManagerCertificate",
        status_extended: "ACM Certificate for api.sandbox.partner.teste.com is about to expire in 7 days.",
        remediation: { url: "https://docs.aws.amazon.com/config/latest/developerguide/acm-certificate-expiration-check.html" },
        observed_at: new Date("2023-04-25T23:49:42.744Z"),
      });
      expect(f?.["compliance"]).toContainEqual({ framework: "SOC2", controls: ["cc_6_7"] });
      expect(f?.["compliance"]).toContainEqual({
        framework: "NIST-800-171-Revision-2",
        controls: ["3_13_1", "3_13_2", "3_13_8", "3_13_11"],
      });
    },
  },
  ...(["prowler/prowler-4-aws-one.ocsf.json", "prowler/prowler-4.5-aws-one.ocsf.json"] as const).map(
    (file): Case => ({
      file,
      collection: "prowler_findings",
      stored: 1,
      async check(find) {
        expect(await find({ check_id: "iam_role_administratoraccess_policy_permissive_trust_relationship" })).toMatchObject({
          account_id: "123456789012",
          status: "FAIL",
          severity: "high",
          region: "us-east-1",
          service_name: "iam",
          resource_uid: "arn:aws:iam::123456789012:role/myAdministratorExecutionRole",
          resource_name: "myAdministratorExecutionRole",
          remediation: { url: "https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege" },
          compliance: [],
          // Before 4.5.0 the time is `event_time`, from 4.5.0 on `time_dt`: both map.
          observed_at: new Date("2024-06-03T14:15:19.382Z"),
        });
      },
    }),
  ),
  {
    file: "prowler/prowler-5-aws.ocsf.json",
    collection: "prowler_findings",
    account: FIXTURE_ACCOUNTS.aws,
    stored: 5,
    async check(find) {
      const analyzer = await find({ check_id: "accessanalyzer_enabled" });
      expect(analyzer).toMatchObject({
        account_id: FIXTURE_ACCOUNTS.aws,
        status: "FAIL",
        severity: "low",
        region: "<region>",
        resource_uid: "<resource_uid>",
        remediation: { url: "https://docs.aws.amazon.com/IAM/latest/UserGuide/what-is-access-analyzer.html" },
        observed_at: new Date("2025-02-14T14:27:03.913Z"),
      });
      expect(analyzer?.["compliance"]).toContainEqual({ framework: "CIS-2.0", controls: ["1.20"] });
      // The account placeholder inside the resource ARN is the explicit account.
      expect(await find({ check_id: "account_maintain_current_contact_details" })).toMatchObject({
        status: "MANUAL",
        severity: "medium",
        resource_uid: `arn:aws:iam::${FIXTURE_ACCOUNTS.aws}:root`,
      });
    },
  },
  {
    file: "prowler/prowler-5-aws.csv",
    collection: "prowler_findings",
    account: FIXTURE_ACCOUNTS.aws,
    stored: 4,
    async check(find) {
      const analyzer = await find({ check_id: "accessanalyzer_enabled" });
      expect(analyzer).toMatchObject({
        status: "FAIL",
        severity: "low",
        service_name: "accessanalyzer",
        region: "<region>",
        remediation: { url: "https://docs.aws.amazon.com/IAM/latest/UserGuide/what-is-access-analyzer.html" },
        observed_at: new Date("2025-02-14T14:27:03.913Z"),
      });
      expect(analyzer?.["compliance"]).toContainEqual({ framework: "KISA-ISMS-P-2023", controls: ["2.5.6", "2.6.4", "2.8.1", "2.8.2"] });
      expect(await find({ check_id: "account_security_contact_information_is_registered" })).toMatchObject({
        status: "MANUAL",
        resource_uid: "<resource_uid>:root",
      });
    },
  },
  {
    file: "prowler/prowler-5-azure.ocsf.json",
    collection: "prowler_findings",
    account: FIXTURE_ACCOUNTS.azure,
    stored: 5,
    async check(find) {
      const insights = await find({ check_id: "appinsights_ensure_is_configured" });
      expect(insights).toMatchObject({
        provider: "azure",
        account_id: FIXTURE_ACCOUNTS.azure,
        status: "FAIL",
        severity: "low",
        region: "global",
        resource_uid: "AppInsights",
      });
      expect(insights?.["compliance"]).toContainEqual({ framework: "CIS-2.0", controls: ["5.3.1"] });
      expect(await find({ check_id: "defender_ensure_defender_for_app_services_is_on" })).toMatchObject({
        severity: "high",
        status: "FAIL",
      });
    },
  },
  {
    file: "prowler/prowler-5-azure.csv",
    collection: "prowler_findings",
    account: FIXTURE_ACCOUNTS.azure,
    stored: 4,
    async check(find) {
      expect(await find({ check_id: "aks_cluster_rbac_enabled" })).toMatchObject({
        provider: "azure",
        status: "PASS",
        severity: "medium",
        resource_uid: `/subscriptions/${FIXTURE_ACCOUNTS.azure}/resourcegroups/<resource_name>_group/providers/Microsoft.ContainerService/managedClusters/<resource_name>`,
      });
      expect(await find({ check_id: "aks_clusters_public_access_disabled" })).toMatchObject({ status: "FAIL", severity: "high" });
    },
  },
  {
    file: "prowler/prowler-5-gcp.ocsf.json",
    collection: "prowler_findings",
    account: FIXTURE_ACCOUNTS.gcp,
    // The three firewall records share one (anonymised) resource id: one finding, the last record's state.
    stored: 3,
    async check(find) {
      const keys = await find({ check_id: "apikeys_key_exists" });
      expect(keys).toMatchObject({
        provider: "gcp",
        status: "PASS",
        severity: "medium",
        region: "global",
        resource_uid: FIXTURE_ACCOUNTS.gcp,
      });
      expect(keys?.["compliance"]).toContainEqual({ framework: "CIS-2.0", controls: ["1.12"] });
      expect(await find({ check_id: "compute_firewall_rdp_access_from_the_internet_allowed" })).toMatchObject({
        status: "FAIL",
        severity: "critical",
        status_extended: "Firewall <resource_id> does exposes port 3389 (RDP) to the internet.",
      });
    },
  },
  {
    file: "prowler/prowler-5-gcp.csv",
    collection: "prowler_findings",
    account: FIXTURE_ACCOUNTS.gcp,
    stored: 3,
    async check(find) {
      expect(await find({ check_id: "apikeys_key_exists" })).toMatchObject({ status: "PASS", resource_uid: FIXTURE_ACCOUNTS.gcp });
      expect(await find({ check_id: "artifacts_container_analysis_enabled" })).toMatchObject({ status: "FAIL", severity: "medium" });
    },
  },
  {
    file: "prowler/prowler-5-kubernetes.ocsf.json",
    collection: "prowler_findings",
    account: FIXTURE_ACCOUNTS.kubernetes,
    stored: 6,
    async check(find) {
      const plugin = await find({ check_id: "apiserver_always_pull_images_plugin" });
      expect(plugin).toMatchObject({
        provider: "kubernetes",
        account_id: FIXTURE_ACCOUNTS.kubernetes,
        status: "FAIL",
        severity: "medium",
        service_name: "apiserver",
        resource_type: "KubernetesAPIServer",
        region: "<namespace>",
        remediation: {
          url: "https://docs.prowler.com/checks/kubernetes/kubernetes-policy-index/ensure-that-the-admission-control-plugin-alwayspullimages-is-set#kubernetes",
        },
      });
      expect(plugin?.["compliance"]).toContainEqual({ framework: "CIS-1.10", controls: ["1.2.11"] });
      expect(await find({ check_id: "apiserver_anonymous_requests" })).toMatchObject({ status: "PASS", severity: "high" });
    },
  },
  {
    file: "prowler/prowler-5-kubernetes.csv",
    collection: "prowler_findings",
    account: FIXTURE_ACCOUNTS.kubernetes,
    stored: 4,
    async check(find) {
      // The CSV writes the namespace as "namespace: kube-system".
      expect(await find({ check_id: "apiserver_always_pull_images_plugin" })).toMatchObject({
        provider: "kubernetes",
        region: "kube-system",
        status: "FAIL",
      });
    },
  },
  {
    file: "prowler/prowler-3-aws-25.asff.json",
    collection: "prowler_findings",
    stored: 25,
    async check(find) {
      expect(await find({ check_id: "accessanalyzer_enabled", region: "ap-northeast-1" })).toMatchObject({
        source: "prowler",
        account_id: "123456789012",
        status: "FAIL",
        severity: "low",
        resource_uid: "123456789012",
        status_extended: "IAM Access Analyzer in account 123456789012 is not enabled",
        compliance: [
          { framework: "CIS-1.4", controls: ["1.20"] },
          { framework: "CIS-1.5", controls: ["1.20"] },
        ],
        remediation: { url: "https://docs.aws.amazon.com/IAM/latest/UserGuide/what-is-access-analyzer.html" },
        observed_at: new Date("2023-03-18T15:43:31Z"),
      });
      expect(await find({ check_id: "accessanalyzer_enabled", region: "eu-west-1" })).toMatchObject({
        status: "PASS",
        resource_uid: "arn:aws:access-analyzer:eu-west-1:123456789012:analyzer/ConsoleAnalyzer-3334742f-fcf5-444e-8b27-ff5650996b69",
      });
    },
  },
  {
    file: "prowler/securityhub-inspector-asff-one.json",
    collection: "prowler_findings",
    stored: 1,
    async check(find) {
      const f = await find({ source: "aws-inspector" });
      expect(f).toMatchObject({
        check_id: "aws-inspector.CVE-2017-9735",
        account_id: "123456789123",
        status: "FAIL",
        severity: "high",
        region: "eu-west-1",
        service_name: "inspector",
        resource_uid: "arn:aws:ec2:eu-west-1:123456789123:instance/i-0sdg8sa1k2l3j11m2",
        resource_type: "AwsEc2Instance",
        resource_tags: [{ key: "Name", value: "MyWebServer" }],
        remediation: { url: "https://nvd.nist.gov/vuln/detail/CVE-2017-9735" },
        observed_at: new Date("2023-09-15T07:00:24Z"),
      });
      expect(f?.["remediation"]?.recommendation).toMatch(/^Remediation is available/);
    },
  },
  {
    file: "nuclei/nuclei-many.jsonl",
    collection: "nuclei_scans",
    stored: 18,
    async check(find) {
      expect(await find({ template_id: "openssh5.3-detect" })).toMatchObject({
        target: "https://nuclei-example.com",
        matched_at: "nuclei-example.com:22",
        severity: "low",
        type: "network",
        tags: ["network", "openssh"],
        scanned_at: new Date("2021-05-20T08:11:01.667Z"),
      });
      expect(await find({ template_id: "nginx-version" })).toMatchObject({
        severity: "informational",
        extracted_results: ["nginx/1.14.2"],
      });
      expect(await find({ template_id: "tech-detect", matcher_name: "animate.css" })).toMatchObject({
        target: "http://127.0.0.1:8080/WebGoat",
      });
    },
  },
  {
    file: "nuclei/nuclei-v3-multiple.jsonl",
    collection: "nuclei_scans",
    // A JSON array despite its name: detection reads the bytes, not the file name.
    stored: 6,
    async check(find) {
      expect(await find({ template_id: "caa-fingerprint" })).toMatchObject({
        target: "www.asdf.de",
        type: "dns",
        classification: { cwe_ids: ["CWE-200"] },
        scanned_at: new Date("2023-11-06T13:48:31.591Z"),
      });
      expect(await find({ template_id: "tls-version", extracted_results: ["tls13"] })).toMatchObject({
        matched_at: "www.asdf.de:443",
        type: "ssl",
      });
      expect(await find({ template_id: "tls-version", extracted_results: ["tls12"] })).not.toBeNull();
    },
  },
  {
    file: "ssl/sslyze-one-target-many.json",
    collection: "ssl_scans",
    stored: 1,
    async check(find) {
      const scan = await find({ target: "example.com" });
      expect(scan).toMatchObject({
        tool: "sslyze",
        port: 443,
        ip: "1.1.1.1",
        protocols: ["TLSv1.0", "TLSv1.1", "TLSv1.2"],
        scanned_at: new Date("2022-01-17T16:45:39.806Z"),
      });
      expect(scan?.["certificate"]).toMatchObject({
        not_after: new Date("2022-05-17T12:00:00Z"),
        subject_alt_names: ["*.example.com", "example.com"],
        key_bits: 2048,
      });
      expect(scan?.["issues"]).toContainEqual({ code: "weak_protocol", severity: "medium", message: "TLSv1.0 is offered." });
      expect(scan?.["vulnerabilities"]).toContainEqual({
        id: "heartbleed",
        vulnerable: false,
        severity: "critical",
        cve_ids: ["CVE-2014-0160"],
      });
    },
  },
  {
    file: "ssl/sslyze-old-one-target-many.json",
    collection: "ssl_scans",
    stored: 1,
    async check(find) {
      const scan = await find({ target: "www.example.com" });
      expect(scan).toMatchObject({ tool: "sslyze", port: 443, ip: "194.168.0.1", protocols: ["TLSv1.1", "TLSv1.2"], grade: "F" });
      expect(scan?.["certificate"]).toMatchObject({ not_after: new Date("2020-12-21T19:13:34Z"), subject: "CN=www.example.com" });
      expect(scan?.["issues"]).toContainEqual(expect.objectContaining({ code: "heartbleed", severity: "critical" }));
    },
  },
  {
    file: "ssl/testssl-demo.csv",
    collection: "ssl_scans",
    stored: 1,
    async check(find) {
      const scan = await find({ target: "demo.defectdojo.org" });
      expect(scan).toMatchObject({ tool: "testssl", port: 443, ip: "104.131.110.75", protocols: ["TLSv1.2", "TLSv1.3"] });
      expect(scan?.["ciphers"]).toContainEqual({ protocol: "TLSv1.2", name: "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", key_bits: 256 });
      expect(scan?.["ciphers"]).toHaveLength(6);
    },
  },
  {
    file: "headers/humble-many.json",
    collection: "header_scans",
    stored: 1,
    async check(find) {
      const scan = await find({ tool: "humble" });
      expect(scan).toMatchObject({ target: "https://asdf.asf.hs/", scanned_at: new Date("2023-11-13T09:20:17Z") });
      expect(scan?.["missing_headers"]).toEqual([
        "clear-site-data",
        "cross-origin-embedder-policy",
        "cross-origin-opener-policy",
        "cross-origin-resource-policy",
        "nel",
        "x-permitted-cross-domain-policies",
      ]);
      expect(scan?.["present_headers"]).toContain("strict-transport-security");
      expect(scan?.["issues"]).toContainEqual({
        code: "deprecated-or-insecure",
        header: "x-xss-protection",
        severity: "medium",
        message: "X-XSS-Protection (Unsafe Value)",
      });
    },
  },
  {
    file: "headers/drheader-scan.json",
    collection: "header_scans",
    target: "https://www.example.com/",
    stored: 1,
    async check(find) {
      const scan = await find({ tool: "drheader" });
      expect(scan).toMatchObject({ target: "https://www.example.com/", missing_headers: ["strict-transport-security", "pragma"] });
      expect(scan?.["issues"]).toHaveLength(6);
      expect(scan?.["issues"]).toContainEqual(
        expect.objectContaining({ code: "must-contain-one-directive-missed", header: "content-security-policy", severity: "high" }),
      );
    },
  },
  {
    file: "headers/observatory-demo.json",
    collection: "header_scans",
    stored: 1,
    async check(find) {
      const scan = await find({ tool: "observatory" });
      expect(scan).toMatchObject({
        target: "http://demo.defectdojo.org/",
        grade: "D",
        score: 35,
        status_code: 200,
        scanned_at: new Date("2021-05-05T07:57:28Z"),
      });
      expect(scan?.["missing_headers"]).toEqual(expect.arrayContaining(["content-security-policy", "strict-transport-security"]));
      expect(scan?.["issues"]).toContainEqual({
        code: "csp-not-implemented",
        header: "content-security-policy",
        severity: "high",
        message: "Content Security Policy (CSP) header not implemented",
      });
    },
  },
];

describe("every real scanner file imports through the driver and re-imports as unchanged", () => {
  it("has a case for every fixture file (none forgotten)", () => {
    const root = dirname(dirname(realScan("prowler/prowler-3-aws-one.json")));
    const files = ["prowler", "nuclei", "ssl", "headers"].flatMap((dir) => readdirSync(`${root}/${dir}`).map((f) => `${dir}/${f}`));
    expect(CASES.map((c) => c.file).sort()).toEqual(files.sort());
  });

  CASES.forEach((c, i) => {
    it(c.file, async () => {
      const teamId = `team-${i}`;
      const raw = ctx.raw(DATABASE[c.collection], c.collection);
      const find = (filter: Document) => raw.findOne({ team_id: teamId, ...filter });
      const options = { teamId, full: true, ...(c.account ? { account: c.account } : {}), ...(c.target ? { target: c.target } : {}) };

      const first = await importScan(ctx.repositories, await fileSource(realScan(c.file)), options);
      expect(first).toMatchObject({
        status: "completed",
        rejected: 0,
        collection: c.collection,
        inserted: c.stored,
        changed: 0,
        unchanged: 0,
        resolved: 0,
      });
      expect(await raw.countDocuments({ team_id: teamId })).toBe(c.stored);
      await c.check(find);
      expect(await raw.countDocuments({ team_id: teamId, delta: "new" })).toBe(c.stored);
      const run = await ctx.raw("ORCHESTRATION", "scan_runs").findOne({ team_id: teamId });
      expect(run).toMatchObject({ status: "completed", stats: { findings: first.written, lifecycle: { inserted: c.stored } } });

      const second = await importScan(ctx.repositories, await fileSource(realScan(c.file)), options);
      expect(second).toMatchObject({ status: "completed", inserted: 0, changed: 0, unchanged: c.stored, resolved: 0, reopened: 0 });
      expect(second.scan_run_id).not.toBe(first.scan_run_id);
      if (c.collection === "prowler_findings" || c.collection === "nuclei_scans") {
        expect(await raw.countDocuments({ team_id: teamId })).toBe(c.stored);
        expect(await raw.countDocuments({ team_id: teamId, delta: "unchanged", scan_id: second.scan_run_id })).toBe(c.stored);
      } else {
        // One document per target per scan: the second scan's result is unchanged against the first's.
        expect(await raw.countDocuments({ team_id: teamId, scan_id: second.scan_run_id, delta: "unchanged" })).toBe(c.stored);
      }
      await c.check(find);
    });
  });
});
