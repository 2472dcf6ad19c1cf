import { describe, expect, it } from "vitest";
import { bufferSource } from "../read/byteSource";
import { openIngestion } from "../ingestRecords";
import { ASFF, asffSource } from "./asff";

function base(overrides: Record<string, unknown>): Record<string, unknown> {
  return {
    SchemaVersion: "2018-10-08",
    Id: "id-1",
    AwsAccountId: "111122223333",
    CreatedAt: "2024-01-01T00:00:00Z",
    UpdatedAt: "2024-01-02T00:00:00Z",
    Severity: { Label: "MEDIUM" },
    Title: "A finding",
    Description: "What it is.",
    Resources: [{ Type: "AwsS3Bucket", Id: "arn:aws:s3:::bucket", Region: "eu-west-1" }],
    RecordState: "ACTIVE",
    ...overrides,
  };
}

function map(record: Record<string, unknown>) {
  return ASFF.createMapper({ scannedAt: new Date() }).map({ index: 0, value: record });
}

describe("ASFF from other Security Hub products", () => {
  it("takes the product as the source and its own rule as the check", () => {
    const guardduty = map(
      base({
        ProductArn: "arn:aws:securityhub:eu-west-1::product/aws/guardduty",
        GeneratorId: "arn:aws:guardduty:eu-west-1:111122223333:detector/abc",
        Types: ["TTPs/Command and Control/UnauthorizedAccess:EC2-TorClient"],
      }),
    );
    expect(guardduty.documents[0]?.document).toMatchObject({
      source: "aws-guardduty",
      check_id: "aws-guardduty.UnauthorizedAccess-EC2-TorClient",
      status: "FAIL",
      severity: "medium",
    });
    const config = map(
      base({
        ProductArn: "arn:aws:securityhub:eu-west-1::product/aws/config",
        GeneratorId: "arn:aws:config:eu-west-1:111122223333:config-rule/config-rule-x",
        ProductFields: { "aws/config/ConfigRuleName": "s3-bucket-public-read-prohibited" },
        Compliance: { Status: "PASSED" },
      }),
    );
    expect(config.documents[0]?.document).toMatchObject({
      source: "aws-config",
      check_id: "aws-config.s3-bucket-public-read-prohibited",
      status: "PASS",
    });
    const control = map(
      base({
        ProductArn: "arn:aws:securityhub:eu-west-1::product/aws/securityhub",
        GeneratorId: "security-control/S3.1",
        Compliance: { Status: "FAILED", SecurityControlId: "S3.1" },
      }),
    );
    expect(control.documents[0]?.document).toMatchObject({ source: "aws-securityhub", check_id: "aws-securityhub.S3.1", status: "FAIL" });
    const archived = map(
      base({
        ProductArn: "arn:aws:securityhub:eu-west-1::product/aws/guardduty",
        GeneratorId: "g",
        Types: ["x/y"],
        RecordState: "ARCHIVED",
      }),
    );
    expect(archived.documents[0]?.document).toMatchObject({ status: "PASS" });
  });

  it("names sources from the product ARN", () => {
    expect(asffSource("arn:aws:securityhub:us-east-1::product/prowler/prowler", undefined)).toBe("prowler");
    expect(asffSource("arn:aws:securityhub:us-east-1::product/aws/inspector", "Inspector")).toBe("aws-inspector");
    expect(asffSource(undefined, "Macie")).toBe("aws-macie");
  });

  it("reads Security Hub's get-findings envelope { Findings: [...] }", async () => {
    const envelope = {
      Findings: [base({ ProductArn: "arn:aws:securityhub:eu-west-1::product/aws/guardduty", GeneratorId: "g", Types: ["a/B"] })],
    };
    const ingestion = await openIngestion(bufferSource(JSON.stringify(envelope), "export.json"));
    for await (const _ of ingestion.events) {
      // drain
    }
    expect(ingestion).toMatchObject({ format: "asff", container: "object", stats: { records: 1, documents: { prowler_findings: 1 } } });
  });
});
