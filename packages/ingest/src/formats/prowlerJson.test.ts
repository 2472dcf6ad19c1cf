import { describe, expect, it } from "vitest";
import { bufferSource } from "../read/byteSource";
import { openIngestion } from "../ingestRecords";
import type { IngestEvent } from "../ingestRecords";
import { prowlerV2Control } from "./prowlerJson";

async function events(text: string): Promise<{ format: string; events: IngestEvent[] }> {
  const ingestion = await openIngestion(bufferSource(text, "v2"));
  const all: IngestEvent[] = [];
  for await (const e of ingestion.events) all.push(e);
  return { format: ingestion.format, events: all };
}

/** Two lines shaped as Prowler 2's `-M json` writes them (one object per line). */
const V2_LINES = [
  {
    Profile: "default",
    "Account Number": "111122223333",
    Control: "[check12] Ensure MFA is enabled for all IAM users that have a console password",
    Message: "eu-west-1: User alice has Password enabled but MFA disabled",
    Severity: "High",
    Status: "FAIL",
    Scored: "Scored",
    Level: "Level 1",
    "Control ID": "1.2",
    Region: "eu-west-1",
    Timestamp: "2021-09-01T08:00:00Z",
    Compliance: "Software and Configuration Checks",
    Service: "iam",
    "CAF Epic": "IAM",
    Risk: "Passwords alone can be stolen.",
    Remediation: "Enable MFA for alice.",
    "Doc link": "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_mfa.html",
    "Resource ID": "alice",
  },
  {
    Profile: "default",
    "Account Number": "111122223333",
    Control: "[check21] Ensure CloudTrail is enabled in all regions",
    Message: "us-east-1: trail main is multiregion",
    Severity: "Medium",
    Status: "PASS",
    Region: "us-east-1",
    Timestamp: "2021-09-01T08:00:01Z",
    Service: "cloudtrail",
    "Resource ID": "",
  },
]
  .map((l) => JSON.stringify(l))
  .join("\n");

describe("Prowler 2 JSON Lines", () => {
  it("maps Account Number, the check in brackets, Message, Resource ID (the account when empty)", async () => {
    const { format, events: all } = await events(V2_LINES);
    expect(format).toBe("prowler-v2-json");
    expect(all.map((e) => (e.kind === "document" ? e.document : e))).toMatchObject([
      {
        check_id: "check12",
        check_title: "Ensure MFA is enabled for all IAM users that have a console password",
        status: "FAIL",
        severity: "high",
        account_id: "111122223333",
        region: "eu-west-1",
        resource_uid: "alice",
        status_extended: "eu-west-1: User alice has Password enabled but MFA disabled",
        remediation: {
          recommendation: "Enable MFA for alice.",
          url: "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_mfa.html",
        },
        observed_at: new Date("2021-09-01T08:00:00Z"),
      },
      { check_id: "check21", status: "PASS", resource_uid: "111122223333" },
    ]);
  });

  it("splits a v2 control title", () => {
    expect(prowlerV2Control("[check114] Ensure hardware MFA")).toEqual({ checkId: "check114", title: "Ensure hardware MFA" });
    expect(prowlerV2Control("no bracket")).toEqual({ title: "no bracket" });
  });
});

describe("Prowler 2 CSV", () => {
  it("maps the comma-separated columns", async () => {
    const csv = [
      "PROFILE,ACCOUNT_NUM,REGION,TITLE_ID,CHECK_RESULT,ITEM_SCORED,ITEM_LEVEL,TITLE_TEXT,CHECK_RESULT_EXTENDED,CHECK_ASFF_COMPLIANCE_TYPE,CHECK_SEVERITY,CHECK_SERVICENAME,CHECK_ASFF_RESOURCE_TYPE,CHECK_ASFF_TYPE,CHECK_RISK,CHECK_REMEDIATION,CHECK_DOC,CHECK_CAF_EPIC",
      ',111122223333,us-east-1,1.1,FAIL,Scored,Level 1,[check11] Avoid the use of the root account (Scored),"Root user was used 1 day ago, not recommended",Software and Configuration Checks,High,iam,AwsAccount,Industry and Regulatory Standards,The root account has unrestricted access.,Do not use root.,http://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html,IAM',
    ].join("\n");
    const { format, events: all } = await events(csv);
    expect(format).toBe("prowler-v2-csv");
    expect(all[0]).toMatchObject({
      kind: "document",
      record: 0,
      document: {
        check_id: "check11",
        status: "FAIL",
        severity: "high",
        resource_type: "AwsAccount",
        status_extended: "Root user was used 1 day ago, not recommended",
        resource_uid: "111122223333",
      },
    });
  });
});
