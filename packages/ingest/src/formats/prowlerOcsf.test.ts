import { describe, expect, it } from "vitest";
import { mapOcsfFinding } from "./prowlerOcsf";

/** A Prowler 3 OCSF Security Finding (class 2001, OCSF 1.0.0-rc.3), shaped as Prowler 3's json-ocsf writer shapes it. */
const SECURITY_FINDING = {
  finding: {
    title: "Ensure IAM password policy requires at least one number",
    desc: "Password policies are used to enforce password complexity requirements.",
    supporting_data: { Risk: "Weak passwords can be guessed.", Notes: "" },
    remediation: {
      kb_articles: [
        "aws iam update-account-password-policy --require-numbers",
        "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_passwords_account-policy.html",
      ],
      desc: "Require a number.",
    },
    types: ["Software and Configuration Checks"],
    src_url: "",
    uid: "prowler-aws-iam_password_policy_number-111122223333-us-east-1-111122223333",
    related_events: [],
  },
  resources: [
    {
      group: { name: "iam" },
      region: "us-east-1",
      name: "111122223333",
      uid: "arn:aws:iam:us-east-1:111122223333:root",
      labels: [],
      type: "AwsIamPasswordPolicy",
      details: "",
    },
  ],
  status_detail: "IAM password policy does not require at least one number.",
  compliance: {
    status: "Failure",
    requirements: ["CIS-1.5: 1.8", "ISO27001-2013: A.9.4"],
    status_detail: "IAM password policy does not require at least one number.",
  },
  message: "IAM password policy does not require at least one number.",
  severity_id: 3,
  severity: "Medium",
  cloud: { account: { name: "", uid: "111122223333" }, region: "us-east-1", org: { uid: "", name: "" }, provider: "aws", project_uid: "" },
  time: "2023-08-01T10:00:00.123456",
  metadata: {
    original_time: "2023-08-01T10:00:00.123456",
    profiles: ["default"],
    product: {
      language: "en",
      name: "Prowler",
      version: "3.8.0",
      vendor_name: "Prowler/ProwlerPro",
      feature: { name: "iam_password_policy_number", uid: "iam_password_policy_number", version: "3.8.0" },
    },
    version: "1.0.0-rc.3",
  },
  state_id: 0,
  state: "New",
  status_id: 2,
  status: "Failure",
  type_uid: 200101,
  type_name: "Security Finding: Create",
  class_uid: 2001,
  class_name: "Security Finding",
};

describe("Prowler OCSF", () => {
  it("maps Prowler 3's class 2001: check from the feature uid, status from compliance, requirements as the compliance map", () => {
    expect(mapOcsfFinding(SECURITY_FINDING, {})).toMatchObject({
      ok: true,
      finding: {
        check_id: "iam_password_policy_number",
        status: "FAIL",
        severity: "medium",
        account_id: "111122223333",
        region: "us-east-1",
        resource_uid: "arn:aws:iam:us-east-1:111122223333:root",
        risk: "Weak passwords can be guessed.",
        remediation: {
          recommendation: "Require a number.",
          url: "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_passwords_account-policy.html",
        },
        compliance: [
          { framework: "CIS-1.5", controls: ["1.8"] },
          { framework: "ISO27001-2013", controls: ["A.9.4"] },
        ],
        observed_at: new Date("2023-08-01T10:00:00.123Z"),
      },
    });
    expect(mapOcsfFinding({ ...SECURITY_FINDING, compliance: { ...SECURITY_FINDING.compliance, status: "Success" } }, {})).toMatchObject({
      ok: true,
      finding: { status: "PASS" },
    });
  });

  it("rejects another OCSF class by name", () => {
    expect(mapOcsfFinding({ class_uid: 3002, metadata: {} }, {})).toEqual({
      ok: false,
      issues: [{ path: "class_uid", message: "is 3002: not a Detection Finding (2004) or Security Finding (2001) of Prowler" }],
    });
  });
});
