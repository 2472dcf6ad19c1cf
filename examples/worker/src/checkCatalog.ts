import type { Severity } from "@cspm/domain";
import { seededRandom } from "./seededRandom";

/** The providers the sample generator and demo seed cover. */
export const CATALOG_PROVIDERS = ["aws", "azure", "gcp"] as const;
/** One of `CATALOG_PROVIDERS`. */
export type CatalogProvider = (typeof CATALOG_PROVIDERS)[number];

/** What a check evaluates: each resource of a type, each region once, or the account once. */
export type CheckScope = "resource" | "region" | "account";

/** One Prowler check as the generator models it (ids, titles and services as Prowler names them). */
export interface CatalogCheck {
  readonly provider: CatalogProvider;
  readonly checkId: string;
  readonly service: string;
  readonly severity: Severity;
  readonly resourceType: string;
  readonly scope: CheckScope;
  /** Share of evaluated resources that fail (deterministic per resource). */
  readonly failRate: number;
  readonly title: string;
  /** `status_extended` of a failing result; `{name}` is replaced by the resource name. */
  readonly failText: string;
  readonly passText: string;
  /** Compliance keys (`CIS-2.0`, `SOC2`, `ISO27001-2022`) to requirement ids of the provider's catalogue, as Prowler reports them. */
  readonly compliance: Readonly<Record<string, readonly string[]>>;
  /** A check Prowler cannot decide automatically: reported as `MANUAL`. */
  readonly manual?: boolean;
}

/** One requirement of a compliance framework, as Prowler's catalogue names it. */
export interface CatalogRequirement {
  /** Prowler's requirement id (`1.10`, `cc_6_1`, `A.8.5`): the value findings list under the compliance key. */
  readonly id: string;
  readonly name?: string;
  readonly description: string;
  readonly section?: string;
  readonly subSection?: string;
}

/**
 * A compliance framework of one provider the catalog's checks map to: a subset of Prowler's catalogue
 * (`Framework`, `Version`, `Provider`), keyed in findings by `key` (`CIS-2.0`; AWS and Azure `CIS-2.0` are
 * two frameworks).
 */
export interface CatalogFramework {
  /** The key findings carry in `compliance`: `Framework-Version`, or `Framework` when Prowler has no version (`SOC2`). */
  readonly key: string;
  /** Prowler's `Framework` (`CIS`, `SOC2`, `ISO27001`). */
  readonly framework: string;
  /** Prowler's `Version` (`2.0`, `2022`, or empty). */
  readonly version: string;
  readonly provider: CatalogProvider;
  readonly name: string;
  readonly description: string;
  readonly requirements: readonly CatalogRequirement[];
}

/** A generated cloud resource. */
export interface CatalogResource {
  readonly uid: string;
  readonly name: string;
  readonly region: string;
  readonly tags: Readonly<Record<string, string>>;
}

type Row = [
  checkId: string,
  service: string,
  severity: Severity,
  resourceType: string,
  scope: CheckScope,
  failRate: number,
  title: string,
  failText: string,
  passText: string,
  compliance: Record<string, string[]>,
  manual?: boolean,
];

const AWS_ROWS: Row[] = [
  [
    "iam_root_mfa_enabled",
    "iam",
    "critical",
    "AwsIamUser",
    "account",
    0.35,
    "Ensure MFA is enabled for the root account",
    "MFA is not enabled for root account.",
    "MFA is enabled for root account.",
    { "CIS-2.0": ["1.5"], "ISO27001-2022": ["A.5.15", "A.5.17", "A.8.5"] },
  ],
  [
    "iam_root_hardware_mfa_enabled",
    "iam",
    "critical",
    "AwsIamUser",
    "account",
    0.6,
    "Ensure hardware MFA is enabled for the root account",
    "Root account has a virtual MFA instead of a hardware MFA device enabled.",
    "Root account has a hardware MFA device enabled.",
    { "CIS-2.0": ["1.6"] },
  ],
  [
    "iam_no_root_access_key",
    "iam",
    "critical",
    "AwsIamUser",
    "account",
    0.15,
    "Ensure no root account access key exists",
    "Root account has access keys.",
    "Root account does not have access keys.",
    { "CIS-2.0": ["1.4"], "ISO27001-2022": ["A.5.15"] },
  ],
  [
    "iam_avoid_root_usage",
    "iam",
    "high",
    "AwsIamUser",
    "account",
    0.25,
    "Avoid the use of the root accounts",
    "Root user in the account was last accessed 3 days ago.",
    "Root user in the account wasn't accessed in the last 30 days.",
    { "CIS-2.0": ["1.7"], "ISO27001-2022": ["A.5.15"] },
  ],
  [
    "iam_password_policy_minimum_length_14",
    "iam",
    "medium",
    "AwsIamPasswordPolicy",
    "account",
    0.5,
    "Ensure IAM password policy requires minimum length of 14 or greater",
    "IAM password policy does not require minimum length of 14 characters.",
    "IAM password policy requires minimum length of 14 characters.",
    { "CIS-2.0": ["1.8"], "ISO27001-2022": ["A.5.15"] },
  ],
  [
    "iam_user_mfa_enabled_console_access",
    "iam",
    "high",
    "AwsIamUser",
    "resource",
    0.22,
    "Ensure multi-factor authentication (MFA) is enabled for all IAM users that have a console password",
    "User {name} has Console Password enabled but MFA disabled.",
    "User {name} has Console Password enabled and MFA enabled.",
    { "CIS-2.0": ["1.10"], "ISO27001-2022": ["A.5.15", "A.5.17", "A.8.5"] },
  ],
  [
    "iam_user_accesskey_unused",
    "iam",
    "medium",
    "AwsIamUser",
    "resource",
    0.3,
    "Ensure credentials unused for 45 days or greater are disabled",
    "User {name} has not used access key 1 in the last 45 days (112 days).",
    "User {name} does not have unused access keys for 45 days.",
    { "CIS-2.0": ["1.12"], SOC2: ["cc_1_3"], "ISO27001-2022": ["A.5.15"] },
  ],
  [
    "iam_rotate_access_key_90_days",
    "iam",
    "medium",
    "AwsIamUser",
    "resource",
    0.35,
    "Ensure access keys are rotated every 90 days or less",
    "User {name} has not rotated access key 1 in over 90 days (203 days).",
    "User {name} does not have access keys older than 90 days.",
    { "CIS-2.0": ["1.14"], "ISO27001-2022": ["A.5.15"] },
  ],
  [
    "iam_aws_attached_policy_no_administrative_privileges",
    "iam",
    "high",
    "AwsIamPolicy",
    "resource",
    0.12,
    'Ensure IAM AWS-Managed policies that allow full "*:*" administrative privileges are not attached',
    "AWS policy AdministratorAccess is attached to role {name}.",
    "AWS policies attached to {name} do not allow '*:*' administrative privileges.",
    { "CIS-2.0": ["1.16"], SOC2: ["cc_1_3", "cc_6_3"], "ISO27001-2022": ["A.5.18", "A.8.2"] },
  ],
  [
    "iam_support_role_created",
    "iam",
    "medium",
    "AwsIamRole",
    "account",
    0.45,
    "Ensure a support role has been created to manage incidents with AWS Support",
    "Support policy is not attached to any role.",
    "Support policy attached to role aws-support-incidents.",
    { "CIS-2.0": ["1.17"] },
  ],
  [
    "accessanalyzer_enabled",
    "accessanalyzer",
    "low",
    "AwsAccessAnalyzer",
    "region",
    0.4,
    "Check if IAM Access Analyzer is enabled",
    "IAM Access Analyzer in account is not enabled.",
    "IAM Access Analyzer analyzer-{name} is enabled.",
    { "CIS-2.0": ["1.20"], "ISO27001-2022": ["A.8.3"] },
  ],
  [
    "s3_bucket_secure_transport_policy",
    "s3",
    "medium",
    "AwsS3Bucket",
    "resource",
    0.4,
    "Check if S3 buckets have secure transport policy",
    "S3 Bucket {name} allows requests over insecure transport in the bucket policy.",
    "S3 Bucket {name} has a bucket policy to deny requests over insecure transport.",
    { "CIS-2.0": ["2.1.1"] },
  ],
  [
    "s3_bucket_no_mfa_delete",
    "s3",
    "medium",
    "AwsS3Bucket",
    "resource",
    0.85,
    "Check if S3 bucket MFA Delete is not enabled",
    "S3 Bucket {name} has MFA Delete disabled.",
    "S3 Bucket {name} has MFA Delete enabled.",
    { "CIS-2.0": ["2.1.2"] },
  ],
  [
    "s3_bucket_level_public_access_block",
    "s3",
    "high",
    "AwsS3Bucket",
    "resource",
    0.1,
    "Check S3 Bucket Level Public Access Block",
    "Block Public Access is not configured for the S3 Bucket {name}.",
    "Block Public Access is configured for the S3 Bucket {name}.",
    { "CIS-2.0": ["2.1.4"] },
  ],
  [
    "s3_bucket_public_access",
    "s3",
    "critical",
    "AwsS3Bucket",
    "resource",
    0.04,
    "Ensure there are no S3 buckets open to Everyone or Any AWS user",
    "S3 Bucket {name} has public access due to bucket policy.",
    "S3 Bucket {name} is not public.",
    { SOC2: ["cc_6_1"], "ISO27001-2022": ["A.8.1"] },
  ],
  [
    "s3_bucket_default_encryption",
    "s3",
    "medium",
    "AwsS3Bucket",
    "resource",
    0.08,
    "Check if S3 buckets have default encryption (SSE) enabled or use a bucket policy to enforce it",
    "Server Side Encryption is not configured for S3 Bucket {name}.",
    "S3 Bucket {name} has Server Side Encryption with aws:kms.",
    { SOC2: ["pi_1_4"], "ISO27001-2022": ["A.8.11", "A.8.24"] },
  ],
  [
    "s3_bucket_server_access_logging_enabled",
    "s3",
    "medium",
    "AwsS3Bucket",
    "resource",
    0.55,
    "Check if S3 buckets have server access logging enabled",
    "S3 Bucket {name} has server access logging disabled.",
    "S3 Bucket {name} has server access logging enabled.",
    { SOC2: ["cc_7_2", "cc_7_3", "cc_a_1_1"], "ISO27001-2022": ["A.8.15"] },
  ],
  [
    "ec2_ebs_default_encryption",
    "ec2",
    "medium",
    "AwsEc2Account",
    "region",
    0.5,
    "Check if EBS Default Encryption is activated",
    "EBS Default Encryption is not activated.",
    "EBS Default Encryption is activated.",
    { "ISO27001-2022": ["A.8.11", "A.8.24"] },
  ],
  [
    "ec2_ebs_volume_encryption",
    "ec2",
    "medium",
    "AwsEc2Volume",
    "resource",
    0.25,
    "Ensure there are no EBS Volumes unencrypted",
    "EBS Volume {name} is unencrypted.",
    "EBS Volume {name} is encrypted.",
    { "CIS-2.0": ["2.2.1"], SOC2: ["pi_1_5"], "ISO27001-2022": ["A.8.11", "A.8.24"] },
  ],
  [
    "ec2_ebs_public_snapshot",
    "ec2",
    "critical",
    "AwsEc2Snapshot",
    "resource",
    0.02,
    "Ensure there are no EBS Snapshots set as Public",
    "EBS Snapshot {name} is currently Public.",
    "EBS Snapshot {name} is not Public.",
    { SOC2: ["cc_6_6"], "ISO27001-2022": ["A.8.1"] },
  ],
  [
    "ec2_instance_imdsv2_enabled",
    "ec2",
    "medium",
    "AwsEc2Instance",
    "resource",
    0.45,
    "Check if EC2 Instance Metadata Service Version 2 (IMDSv2) is Enabled and Required",
    "EC2 Instance {name} has IMDSv2 disabled or not required.",
    "EC2 Instance {name} has IMDSv2 enabled and required.",
    { "CIS-2.0": ["5.6"], SOC2: ["cc_7_2"], "ISO27001-2022": ["A.8.20", "A.8.21", "A.8.22"] },
  ],
  [
    "ec2_instance_public_ip",
    "ec2",
    "medium",
    "AwsEc2Instance",
    "resource",
    0.18,
    "Check for EC2 Instances with Public IP",
    "EC2 Instance {name} has a Public IP: 54.210.17.86.",
    "EC2 Instance {name} does not have a Public IP.",
    { SOC2: ["cc_6_6"], "ISO27001-2022": ["A.8.1", "A.8.20", "A.8.21", "A.8.22"] },
  ],
  [
    "ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_22",
    "ec2",
    "high",
    "AwsEc2SecurityGroup",
    "resource",
    0.12,
    "Ensure no security groups allow ingress from 0.0.0.0/0 or ::/0 to SSH port 22",
    "Security group {name} has SSH port 22 open to the Internet.",
    "Security group {name} does not have SSH port 22 open to the Internet.",
    { "CIS-2.0": ["5.2", "5.3"], SOC2: ["cc_6_6", "cc_7_2"], "ISO27001-2022": ["A.8.20", "A.8.21", "A.8.22"] },
  ],
  [
    "ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_3389",
    "ec2",
    "high",
    "AwsEc2SecurityGroup",
    "resource",
    0.06,
    "Ensure no security groups allow ingress from 0.0.0.0/0 or ::/0 to port 3389",
    "Security group {name} has Microsoft RDP port 3389 open to the Internet.",
    "Security group {name} does not have Microsoft RDP port 3389 open to the Internet.",
    { "CIS-2.0": ["5.2", "5.3"], SOC2: ["cc_6_6"], "ISO27001-2022": ["A.8.20", "A.8.21", "A.8.22"] },
  ],
  [
    "ec2_securitygroup_default_restrict_traffic",
    "ec2",
    "high",
    "AwsEc2SecurityGroup",
    "resource",
    0.3,
    "Ensure the default security group of every VPC restricts all traffic",
    "Default Security Group ({name}) rules allow traffic.",
    "Default Security Group ({name}) rules do not allow traffic.",
    { "CIS-2.0": ["5.4"], "ISO27001-2022": ["A.8.20", "A.8.21", "A.8.22"] },
  ],
  [
    "ec2_networkacl_allow_ingress_any_port",
    "ec2",
    "medium",
    "AwsEc2NetworkAcl",
    "resource",
    0.35,
    "Ensure no Network ACLs allow ingress from 0.0.0.0/0 to any port",
    "Network ACL {name} has every port open to the Internet.",
    "Network ACL {name} does not have every port open to the Internet.",
    { "CIS-2.0": ["5.1"], SOC2: ["cc_6_6"], "ISO27001-2022": ["A.8.20", "A.8.21", "A.8.22"] },
  ],
  [
    "vpc_flow_logs_enabled",
    "vpc",
    "medium",
    "AwsEc2Vpc",
    "resource",
    0.4,
    "Ensure VPC Flow Logging is Enabled in all VPCs",
    "VPC {name} Flow logs are disabled.",
    "VPC {name} Flow logs are enabled.",
    { "CIS-2.0": ["3.9"], SOC2: ["cc_7_2", "cc_7_3"], "ISO27001-2022": ["A.8.15", "A.8.16", "A.8.20", "A.8.21", "A.8.22", "A.8.23"] },
  ],
  [
    "cloudtrail_multi_region_enabled",
    "cloudtrail",
    "high",
    "AwsCloudTrailTrail",
    "region",
    0.15,
    "Ensure CloudTrail is enabled in all regions",
    "No CloudTrail trails enabled and logging were found.",
    "Trail {name} is multiregion and it is logging.",
    { "CIS-2.0": ["3.1"], SOC2: ["cc_2_1", "cc_7_2", "cc_a_1_1", "pi_1_3"] },
  ],
  [
    "cloudtrail_log_file_validation_enabled",
    "cloudtrail",
    "medium",
    "AwsCloudTrailTrail",
    "region",
    0.3,
    "Ensure CloudTrail log file validation is enabled",
    "Trail {name} log file validation disabled.",
    "Trail {name} log file validation enabled.",
    { "CIS-2.0": ["3.2"], SOC2: ["cc_7_3", "pi_1_3"], "ISO27001-2022": ["A.8.15", "A.8.16"] },
  ],
  [
    "cloudtrail_kms_encryption_enabled",
    "cloudtrail",
    "medium",
    "AwsCloudTrailTrail",
    "region",
    0.6,
    "Ensure CloudTrail logs are encrypted at rest using KMS CMKs",
    "Multiregion trail {name} has encryption disabled.",
    "Multiregion trail {name} has encryption enabled.",
    { "CIS-2.0": ["3.7"], "ISO27001-2022": ["A.8.11", "A.8.15", "A.8.16", "A.8.24"] },
  ],
  [
    "config_recorder_all_regions_enabled",
    "config",
    "medium",
    "AwsConfigRecorder",
    "region",
    0.35,
    "Ensure AWS Config is enabled in all regions",
    "AWS Config recorder is disabled.",
    "AWS Config recorder default is enabled.",
    { "CIS-2.0": ["3.5"], SOC2: ["cc_2_1", "cc_3_1", "cc_3_4", "cc_8_1", "pi_1_3"], "ISO27001-2022": ["A.5.16", "A.5.22"] },
  ],
  [
    "guardduty_is_enabled",
    "guardduty",
    "medium",
    "AwsGuardDutyDetector",
    "region",
    0.3,
    "Check if GuardDuty is enabled",
    "GuardDuty detector {name} not configured.",
    "GuardDuty detector {name} enabled.",
    {
      SOC2: ["cc_3_1", "cc_3_2", "cc_4_2", "cc_6_8", "cc_7_1", "cc_7_2", "cc_7_3", "cc_7_4"],
      "ISO27001-2022": ["A.5.19", "A.5.21", "A.5.25", "A.5.28", "A.5.29", "A.8.7", "A.8.9"],
    },
  ],
  [
    "securityhub_enabled",
    "securityhub",
    "medium",
    "AwsSecurityHubHub",
    "region",
    0.4,
    "Check if Security Hub is enabled and its standard subscriptions",
    "Security Hub is not enabled.",
    "Security Hub is enabled with standards: cis-aws-foundations-benchmark/v/1.4.0.",
    { "CIS-2.0": ["4.16"], SOC2: ["cc_3_1", "cc_6_8", "cc_7_1", "cc_7_2", "cc_7_3", "cc_7_4"], "ISO27001-2022": ["A.5.1", "A.8.23"] },
  ],
  [
    "kms_cmk_rotation_enabled",
    "kms",
    "medium",
    "AwsKmsKey",
    "resource",
    0.4,
    "Ensure rotation for customer created KMS CMKs is enabled",
    "KMS CMK {name} has automatic rotation disabled.",
    "KMS CMK {name} has automatic rotation enabled.",
    { "CIS-2.0": ["3.8"], SOC2: ["pi_1_5"], "ISO27001-2022": ["A.8.5", "A.8.11", "A.8.24"] },
  ],
  [
    "rds_instance_storage_encrypted",
    "rds",
    "medium",
    "AwsRdsDbInstance",
    "resource",
    0.15,
    "Check if RDS instances storage is encrypted",
    "RDS Instance {name} is not encrypted.",
    "RDS Instance {name} is encrypted.",
    { "CIS-2.0": ["2.3.1"], SOC2: ["pi_1_5"], "ISO27001-2022": ["A.8.11", "A.8.24"] },
  ],
  [
    "rds_instance_no_public_access",
    "rds",
    "critical",
    "AwsRdsDbInstance",
    "resource",
    0.05,
    "Ensure there are no Public Accessible RDS instances",
    "RDS Instance {name} is set as publicly accessible.",
    "RDS Instance {name} is not publicly accessible.",
    { "CIS-2.0": ["2.3.3"], SOC2: ["cc_6_2"], "ISO27001-2022": ["A.8.1"] },
  ],
  [
    "rds_instance_minor_version_upgrade_enabled",
    "rds",
    "low",
    "AwsRdsDbInstance",
    "resource",
    0.3,
    "Ensure RDS instances have minor version upgrade enabled",
    "RDS Instance {name} does not have minor version upgrade enabled.",
    "RDS Instance {name} has minor version upgrade enabled.",
    { "CIS-2.0": ["2.3.2"] },
  ],
  [
    "rds_instance_backup_enabled",
    "rds",
    "medium",
    "AwsRdsDbInstance",
    "resource",
    0.1,
    "Check if RDS instances have backup enabled",
    "RDS Instance {name} does not have backup enabled.",
    "RDS Instance {name} has backup enabled with retention period 7 days.",
    { SOC2: ["cc_7_4", "cc_a_1_1"] },
  ],
  [
    "awslambda_function_not_publicly_accessible",
    "awslambda",
    "critical",
    "AwsLambdaFunction",
    "resource",
    0.05,
    "Check if Lambda functions have resource-based policy set as Public.",
    "Lambda function {name} has a resource-based policy with public access.",
    "Lambda function {name} has a resource-based policy without public access.",
    { "ISO27001-2022": ["A.8.1"] },
  ],
  [
    "awslambda_function_url_public",
    "awslambda",
    "high",
    "AwsLambdaFunction",
    "resource",
    0.05,
    "Check Public Lambda Function URL",
    "Lambda function {name} has a publicly accessible function URL.",
    "Lambda function {name} does not have a publicly accessible function URL.",
    { "ISO27001-2022": ["A.8.1"] },
  ],
  [
    "eks_cluster_not_publicly_accessible",
    "eks",
    "high",
    "AwsEksCluster",
    "resource",
    0.35,
    "Ensure EKS Clusters are created with Private Endpoint Enabled and Public Access Disabled",
    "EKS cluster {name} has a public endpoint.",
    "EKS cluster {name} does not have a public endpoint.",
    { "ISO27001-2022": ["A.8.1"] },
  ],
  [
    "elbv2_logging_enabled",
    "elbv2",
    "medium",
    "AwsElbv2LoadBalancer",
    "resource",
    0.5,
    "Check if Elastic Load Balancers have logging enabled",
    "ELBv2 ALB {name} does not have access logs configured.",
    "ELBv2 ALB {name} has access logs to S3 configured.",
    { SOC2: ["cc_7_2", "cc_7_3", "cc_a_1_1", "pi_1_2"], "ISO27001-2022": ["A.8.15"] },
  ],
  [
    "elbv2_insecure_ssl_ciphers",
    "elbv2",
    "medium",
    "AwsElbv2LoadBalancer",
    "resource",
    0.2,
    "Check if Elastic Load Balancers have insecure SSL ciphers",
    "ELBv2 {name} has listeners with insecure SSL protocols or ciphers.",
    "ELBv2 {name} does not have insecure SSL protocols or ciphers.",
    {},
  ],
  [
    "cloudwatch_log_metric_filter_root_usage",
    "cloudwatch",
    "medium",
    "AwsCloudWatchLogGroup",
    "account",
    0.7,
    "Ensure a log metric filter and alarm exist for usage of root account",
    "No CloudWatch log groups found with metric filters or alarms associated.",
    "CloudWatch log group has a metric filter and alarm for root usage.",
    { "CIS-2.0": ["4.3"], SOC2: ["pi_1_3"], "ISO27001-2022": ["A.8.15", "A.8.16"] },
    true,
  ],
];

const AZURE_ROWS: Row[] = [
  [
    "defender_ensure_defender_for_server_is_on",
    "defender",
    "high",
    "AzureDefenderPlan",
    "account",
    0.4,
    "Ensure That Microsoft Defender for Servers Is Set to 'On'",
    "Defender plan Defender for Servers from subscription {name} is set to OFF (pricing tier not standard).",
    "Defender plan Defender for Servers from subscription {name} is set to ON (pricing tier standard).",
    { "CIS-2.0": ["2.1.1", "2.1.2"] },
  ],
  [
    "defender_ensure_defender_for_storage_is_on",
    "defender",
    "high",
    "AzureDefenderPlan",
    "account",
    0.45,
    "Ensure That Microsoft Defender for Storage Is Set To 'On'",
    "Defender plan Defender for Storage Accounts from subscription {name} is set to OFF (pricing tier not standard).",
    "Defender plan Defender for Storage Accounts from subscription {name} is set to ON (pricing tier standard).",
    { "CIS-2.0": ["2.1.7"] },
  ],
  [
    "defender_ensure_defender_for_sql_servers_is_on",
    "defender",
    "high",
    "AzureDefenderPlan",
    "account",
    0.5,
    "Ensure That Microsoft Defender for SQL Servers on Machines Is Set To 'On'",
    "Defender plan Defender for SQL Server VMs from subscription {name} is set to OFF (pricing tier not standard).",
    "Defender plan Defender for SQL Server VMs from subscription {name} is set to ON (pricing tier standard).",
    { "CIS-2.0": ["2.1.5"] },
  ],
  [
    "defender_ensure_notify_alerts_severity_is_high",
    "defender",
    "high",
    "AzureSecurityContact",
    "account",
    0.5,
    "Ensure That 'Notify about alerts with the following severity' is Set to 'High'",
    "Notifications are not enabled for alerts with a minimum severity of high or lower in subscription {name}.",
    "Notifications are enabled for alerts with a minimum severity of high or lower in subscription {name}.",
    { "CIS-2.0": ["2.1.20"] },
  ],
  [
    "iam_subscription_roles_owner_custom_not_created",
    "iam",
    "high",
    "AzureRoleDefinition",
    "account",
    0.2,
    "Ensure That No Custom Subscription Owner Roles Are Created",
    "Role Custom-Owner from subscription {name} is a custom owner role.",
    "No custom owner roles found in subscription {name}.",
    { "CIS-2.0": ["1.23", "1.24"] },
  ],
  [
    "storage_secure_transfer_required_is_enabled",
    "storage",
    "high",
    "AzureStorageAccount",
    "resource",
    0.1,
    "Ensure that 'Secure transfer required' is set to 'Enabled'",
    "Storage account {name} has secure transfer required disabled.",
    "Storage account {name} has secure transfer required enabled.",
    { "CIS-2.0": ["3.1"] },
  ],
  [
    "storage_blob_public_access_level_is_disabled",
    "storage",
    "high",
    "AzureStorageAccount",
    "resource",
    0.15,
    "Ensure that 'Public access level' is disabled for storage accounts with blob containers",
    "Storage account {name} has allow blob public access enabled.",
    "Storage account {name} has allow blob public access disabled.",
    { "CIS-2.0": ["3.7"] },
  ],
  [
    "storage_default_network_access_rule_is_denied",
    "storage",
    "medium",
    "AzureStorageAccount",
    "resource",
    0.45,
    "Ensure Default Network Access Rule for Storage Accounts is Set to Deny",
    "Storage account {name} has network access rule set to Allow.",
    "Storage account {name} has network access rule set to Deny.",
    { "CIS-2.0": ["3.8"] },
  ],
  [
    "storage_ensure_minimum_tls_version_12",
    "storage",
    "medium",
    "AzureStorageAccount",
    "resource",
    0.2,
    "Ensure the 'Minimum TLS version' for storage accounts is set to 'Version 1.2'",
    "Storage account {name} does not have TLS version set to 1.2.",
    "Storage account {name} has TLS version set to 1.2.",
    { "CIS-2.0": ["3.15"] },
  ],
  [
    "storage_ensure_soft_delete_is_enabled",
    "storage",
    "medium",
    "AzureStorageAccount",
    "resource",
    0.5,
    "Ensure Soft Delete is Enabled for Azure Containers and Blob Storage",
    "Storage account {name} has soft delete disabled.",
    "Storage account {name} has soft delete enabled.",
    { "CIS-2.0": ["3.11"] },
  ],
  [
    "sqlserver_auditing_enabled",
    "sqlserver",
    "medium",
    "AzureSqlServer",
    "resource",
    0.35,
    "Ensure that 'Auditing' is set to 'On'",
    "SQL Server {name} does not have any auditing policy configured.",
    "SQL Server {name} has an auditing policy configured.",
    { "CIS-2.0": ["4.1.1"] },
  ],
  [
    "sqlserver_tde_encryption_enabled",
    "sqlserver",
    "medium",
    "AzureSqlServer",
    "resource",
    0.15,
    "Ensure SQL server's Transparent Data Encryption (TDE) protector is encrypted",
    "Database master of SQL Server {name} has TDE disabled.",
    "Database master of SQL Server {name} has TDE enabled.",
    { "CIS-2.0": ["4.1.5"] },
  ],
  [
    "sqlserver_unrestricted_inbound_access",
    "sqlserver",
    "critical",
    "AzureSqlServer",
    "resource",
    0.06,
    "Ensure that no SQL Databases allow ingress from 0.0.0.0/0 (ANY IP)",
    "SQL Server {name} has firewall rules allowing 0.0.0.0-255.255.255.255.",
    "SQL Server {name} does not have firewall rules allowing 0.0.0.0-255.255.255.255.",
    { "CIS-2.0": ["4.1.2"] },
  ],
  [
    "sqlserver_azuread_administrator_enabled",
    "sqlserver",
    "medium",
    "AzureSqlServer",
    "resource",
    0.3,
    "Ensure that Azure Active Directory Admin is Configured for SQL Servers",
    "SQL Server {name} does not have an Active Directory administrator.",
    "SQL Server {name} has an Active Directory administrator.",
    { "CIS-2.0": ["4.1.4"] },
  ],
  [
    "keyvault_key_expiration_set_in_non_rbac",
    "keyvault",
    "high",
    "AzureKeyVault",
    "resource",
    0.4,
    "Ensure that the Expiration Date is set for all Keys in Non-RBAC Key Vaults",
    "Keyvault {name} has a key without expiration date set.",
    "Keyvault {name} has all the keys with expiration date set.",
    { "CIS-2.0": ["8.2"] },
  ],
  [
    "keyvault_recoverable",
    "keyvault",
    "high",
    "AzureKeyVault",
    "resource",
    0.2,
    "Ensure the Key Vault is Recoverable",
    "Keyvault {name} is not recoverable.",
    "Keyvault {name} is recoverable.",
    { "CIS-2.0": ["8.5"] },
  ],
  [
    "keyvault_rbac_enabled",
    "keyvault",
    "high",
    "AzureKeyVault",
    "resource",
    0.35,
    "Enable Role Based Access Control for Azure Key Vault",
    "Keyvault {name} is not using RBAC for access control.",
    "Keyvault {name} is using RBAC for access control.",
    { "CIS-2.0": ["8.6"] },
  ],
  [
    "network_ssh_internet_access_restricted",
    "network",
    "high",
    "AzureNetworkSecurityGroup",
    "resource",
    0.15,
    "Ensure that SSH access from the Internet is evaluated and restricted",
    "Security Group {name} has SSH internet access allowed.",
    "Security Group {name} has SSH internet access restricted.",
    { "CIS-2.0": ["6.2"] },
  ],
  [
    "network_rdp_internet_access_restricted",
    "network",
    "high",
    "AzureNetworkSecurityGroup",
    "resource",
    0.08,
    "Ensure that RDP access from the Internet is evaluated and restricted",
    "Security Group {name} has RDP internet access allowed.",
    "Security Group {name} has RDP internet access restricted.",
    { "CIS-2.0": ["6.1"] },
  ],
  [
    "network_watcher_enabled",
    "network",
    "medium",
    "AzureNetworkWatcher",
    "region",
    0.3,
    "Ensure that Network Watcher is 'Enabled'",
    "Network Watcher is not enabled for the location {region} in subscription {name}.",
    "Network Watcher is enabled for the location {region} in subscription {name}.",
    { "CIS-2.0": ["6.6"] },
  ],
  [
    "app_ensure_http_is_redirected_to_https",
    "app",
    "medium",
    "AzureWebApp",
    "resource",
    0.25,
    "Ensure Web App Redirects All HTTP traffic to HTTPS in Azure App Service",
    "HTTP is not redirected to HTTPS for app '{name}'.",
    "HTTP is redirected to HTTPS for app '{name}'.",
    { "CIS-2.0": ["9.2"] },
  ],
  [
    "app_minimum_tls_version_12",
    "app",
    "medium",
    "AzureWebApp",
    "resource",
    0.15,
    "Ensure Web App is using the latest version of TLS encryption",
    "Minimum TLS version is not set to 1.2 for app '{name}'.",
    "Minimum TLS version is set to 1.2 for app '{name}'.",
    { "CIS-2.0": ["9.3"] },
  ],
  [
    "defender_ensure_defender_for_containers_is_on",
    "defender",
    "high",
    "AzureDefenderPlan",
    "account",
    0.3,
    "Ensure That Microsoft Defender for Containers Is Set To 'On'",
    "Defender plan Defender for Containers from subscription {name} is set to OFF (pricing tier not standard).",
    "Defender plan Defender for Containers from subscription {name} is set to ON (pricing tier standard).",
    { "CIS-2.0": ["2.1.8"] },
  ],
  [
    "defender_ensure_defender_for_keyvault_is_on",
    "defender",
    "medium",
    "AzureDefenderPlan",
    "account",
    0.35,
    "Ensure That Microsoft Defender for Key Vault Is Set To 'On'",
    "Defender plan Defender for KeyVaults from subscription {name} is set to OFF (pricing tier not standard).",
    "Defender plan Defender for KeyVaults from subscription {name} is set to ON (pricing tier standard).",
    { "CIS-2.0": ["2.1.10"] },
  ],
  [
    "vm_ensure_attached_disks_encrypted_with_cmk",
    "vm",
    "medium",
    "AzureVirtualMachine",
    "resource",
    0.55,
    "Ensure that 'OS and Data' disks are encrypted with Customer Managed Key (CMK)",
    "Disk '{name}-osdisk' is not encrypted with a customer-managed key.",
    "Disk '{name}-osdisk' is encrypted with a customer-managed key.",
    { "CIS-2.0": ["7.3"] },
  ],
  [
    "monitor_diagnostic_settings_exists",
    "monitor",
    "medium",
    "AzureMonitor",
    "account",
    0.4,
    "Ensure that a 'Diagnostic Setting' exists for Subscription Activity Logs",
    "No diagnostic settings found in subscription {name}.",
    "Diagnostic settings found in subscription {name}.",
    { "CIS-2.0": ["5.1.1"] },
    true,
  ],
  [
    "cosmosdb_account_firewall_use_selected_networks",
    "cosmosdb",
    "medium",
    "AzureCosmosDbAccount",
    "resource",
    0.4,
    "Ensure That 'Firewalls & Networks' Is Limited to Use Selected Networks Instead of All Networks",
    "CosmosDB account {name} has firewall rules that allow access from all networks.",
    "CosmosDB account {name} has firewall rules that allow access only from selected networks.",
    { "CIS-2.0": ["4.5.1"] },
  ],
];

const GCP_ROWS: Row[] = [
  [
    "iam_sa_no_administrative_privileges",
    "iam",
    "high",
    "ServiceAccount",
    "resource",
    0.15,
    "Ensure Service Account does not have admin privileges",
    "Account {name} has administrative privileges with role roles/editor.",
    "Account {name} has no administrative privileges.",
    { "CIS-2.0": ["1.5"] },
  ],
  [
    "iam_sa_user_managed_key_rotate_90_days",
    "iam",
    "medium",
    "ServiceAccountKey",
    "resource",
    0.4,
    "Ensure User-Managed/External Keys for Service Accounts Are Rotated Every 90 Days or Fewer",
    "User-managed key for account {name} was not rotated in the last 90 days (161 days).",
    "User-managed key for account {name} was rotated in the last 90 days.",
    { "CIS-2.0": ["1.7"] },
  ],
  [
    "iam_no_service_roles_at_project_level",
    "iam",
    "high",
    "Project",
    "account",
    0.3,
    "Ensure That IAM Users Are Not Assigned the Service Account User or Service Account Token Creator Roles at Project Level",
    "IAM Users assigned to service roles ('roles/iam.serviceAccountUser' and/or 'roles/iam.serviceAccountTokenCreator') at project level in {name}.",
    "No IAM Users assigned to service roles at project level in {name}.",
    { "CIS-2.0": ["1.6"] },
  ],
  [
    "iam_role_kms_enforce_separation_of_duties",
    "iam",
    "medium",
    "Project",
    "account",
    0.45,
    "Enforce Separation of Duties for KMS-Related Roles",
    "Principle of separation of duties was not enforced for KMS-related roles in project {name}.",
    "Principle of separation of duties was enforced for KMS-related roles in project {name}.",
    { "CIS-2.0": ["1.11"] },
  ],
  [
    "compute_firewall_ssh_access_from_the_internet_allowed",
    "compute",
    "critical",
    "FirewallRule",
    "resource",
    0.1,
    "Ensure That SSH Access Is Restricted From the Internet",
    "Firewall {name} does expose port 22 (SSH) to the internet.",
    "Firewall {name} does not expose port 22 (SSH) to the internet.",
    { "CIS-2.0": ["3.6"] },
  ],
  [
    "compute_firewall_rdp_access_from_the_internet_allowed",
    "compute",
    "critical",
    "FirewallRule",
    "resource",
    0.05,
    "Ensure That RDP Access Is Restricted From the Internet",
    "Firewall {name} does expose port 3389 (RDP) to the internet.",
    "Firewall {name} does not expose port 3389 (RDP) to the internet.",
    { "CIS-2.0": ["3.7"] },
  ],
  [
    "compute_network_default_in_use",
    "compute",
    "medium",
    "Network",
    "account",
    0.5,
    "Ensure that the default network does not exist",
    "Default network is in use for project {name}.",
    "Default network does not exist in project {name}.",
    { "CIS-2.0": ["3.1"] },
  ],
  [
    "compute_instance_public_ip",
    "compute",
    "high",
    "VMInstance",
    "resource",
    0.2,
    "Check for Virtual Machine Instances with Public IP Addresses",
    "VM Instance {name} has a public IP address: 34.118.72.9.",
    "VM Instance {name} does not have a public IP address.",
    { "CIS-2.0": ["4.9"] },
  ],
  [
    "compute_instance_shielded_vm_enabled",
    "compute",
    "medium",
    "VMInstance",
    "resource",
    0.3,
    "Ensure Compute Instances Are Launched With Shielded VM Enabled",
    "VM Instance {name} does not have vTPM or Integrity Monitoring set to on.",
    "VM Instance {name} has vTPM or Integrity Monitoring set to on.",
    { "CIS-2.0": ["4.8"] },
  ],
  [
    "compute_instance_serial_ports_in_use",
    "compute",
    "medium",
    "VMInstance",
    "resource",
    0.08,
    "Ensure 'Enable Connecting to Serial Ports' Is Not Enabled for VM Instance",
    "VM Instance {name} has Enable Connecting to Serial Ports set to on.",
    "VM Instance {name} has Enable Connecting to Serial Ports off.",
    { "CIS-2.0": ["4.5"] },
  ],
  [
    "compute_instance_default_service_account_in_use_with_full_api_access",
    "compute",
    "high",
    "VMInstance",
    "resource",
    0.12,
    "Ensure That Instances Are Not Configured To Use the Default Service Account With Full Access to All Cloud APIs",
    "The VM Instance {name} is configured to use the default service account with full access to all cloud APIs.",
    "The VM Instance {name} is not configured to use the default service account with full access to all cloud APIs.",
    { "CIS-2.0": ["4.2"] },
  ],
  [
    "compute_project_os_login_enabled",
    "compute",
    "medium",
    "Project",
    "account",
    0.45,
    "Ensure Os Login Is Enabled for a Project",
    "Project {name} does not have OS Login enabled.",
    "Project {name} has OS Login enabled.",
    { "CIS-2.0": ["4.4"] },
  ],
  [
    "cloudstorage_bucket_public_access",
    "cloudstorage",
    "critical",
    "Bucket",
    "resource",
    0.04,
    "Ensure That Cloud Storage Bucket Is Not Anonymously or Publicly Accessible",
    "Bucket {name} is publicly accessible.",
    "Bucket {name} is not publicly accessible.",
    { "CIS-2.0": ["5.1"] },
  ],
  [
    "cloudstorage_bucket_uniform_bucket_level_access",
    "cloudstorage",
    "medium",
    "Bucket",
    "resource",
    0.35,
    "Ensure That Cloud Storage Buckets Have Uniform Bucket-Level Access Enabled",
    "Bucket {name} has uniform Bucket Level Access disabled.",
    "Bucket {name} has uniform Bucket Level Access enabled.",
    { "CIS-2.0": ["5.2"] },
  ],
  [
    "cloudstorage_bucket_log_retention_policy_lock",
    "cloudstorage",
    "medium",
    "Bucket",
    "resource",
    0.7,
    "Ensure That Retention Policies on Cloud Storage Buckets Used for Exporting Logs Are Configured Using Bucket Lock",
    "Log Sink Bucket {name} has no Retention Policy.",
    "Log Sink Bucket {name} has a Retention Policy with Bucket Lock.",
    { "CIS-2.0": ["2.3"] },
  ],
  [
    "cloudsql_instance_public_access",
    "cloudsql",
    "critical",
    "DatabaseInstance",
    "resource",
    0.06,
    "Ensure That Cloud SQL Database Instances Do Not Implicitly Whitelist All Public IP Addresses",
    "Database Instance {name} is publicly accessible (0.0.0.0/0).",
    "Database Instance {name} does not whitelist all Public IP Addresses.",
    { "CIS-2.0": ["6.5"] },
  ],
  [
    "cloudsql_instance_ssl_connections",
    "cloudsql",
    "high",
    "DatabaseInstance",
    "resource",
    0.3,
    "Ensure That the Cloud SQL Database Instance Requires All Incoming Connections To Use SSL",
    "Database Instance {name} does not require SSL connections.",
    "Database Instance {name} requires SSL connections.",
    { "CIS-2.0": ["6.4"] },
  ],
  [
    "cloudsql_instance_public_ip",
    "cloudsql",
    "high",
    "DatabaseInstance",
    "resource",
    0.2,
    "Check for Cloud SQL Database Instances with Public IPs",
    "Database Instance {name} has a public IP address.",
    "Database Instance {name} does not have a public IP address.",
    { "CIS-2.0": ["6.6"] },
  ],
  [
    "cloudsql_instance_automated_backups",
    "cloudsql",
    "medium",
    "DatabaseInstance",
    "resource",
    0.1,
    "Ensure That Cloud SQL Database Instances Are Configured With Automated Backups",
    "Database Instance {name} does not have automated backups configured.",
    "Database Instance {name} has automated backups configured.",
    { "CIS-2.0": ["6.7"] },
  ],
  [
    "kms_key_rotation_max_90_days",
    "kms",
    "medium",
    "CryptoKey",
    "resource",
    0.4,
    "Ensure KMS keys are rotated within a period of 90 days",
    "Key {name} is not rotated every 90 days or less.",
    "Key {name} is rotated every 90 days or less.",
    { "CIS-2.0": ["1.10"] },
  ],
  [
    "logging_sink_created",
    "logging",
    "medium",
    "Project",
    "account",
    0.3,
    "Ensure there is at least one sink used to export copies of all the log entries",
    "There are no logging sinks to export copies of all the log entries in project {name}.",
    "Sink all-logs is enabled exporting copies of all the log entries in project {name}.",
    { "CIS-2.0": ["2.2"] },
  ],
  [
    "bigquery_dataset_public_access",
    "bigquery",
    "critical",
    "Dataset",
    "resource",
    0.03,
    "Ensure That BigQuery Datasets Are Not Anonymously or Publicly Accessible",
    "Dataset {name} is publicly accessible.",
    "Dataset {name} is not publicly accessible.",
    { "CIS-2.0": ["7.1"] },
  ],
  [
    "bigquery_dataset_cmk_encryption",
    "bigquery",
    "medium",
    "Dataset",
    "resource",
    0.6,
    "Ensure BigQuery datasets are encrypted with Customer-Managed Keys (CMKs)",
    "Dataset {name} is not encrypted with Customer-Managed Keys (CMKs).",
    "Dataset {name} is encrypted with Customer-Managed Keys (CMKs).",
    { "CIS-2.0": ["7.3"] },
  ],
  [
    "dns_dnssec_disabled",
    "dns",
    "medium",
    "ManagedZone",
    "resource",
    0.4,
    "Ensure That DNSSEC Is Enabled for Cloud DNS",
    "Cloud DNS {name} doesn't have DNSSEC enabled.",
    "Cloud DNS {name} has DNSSEC enabled.",
    { "CIS-2.0": ["3.3"] },
  ],
  [
    "compute_instance_default_service_account_in_use",
    "compute",
    "medium",
    "VMInstance",
    "resource",
    0.35,
    "Ensure That Instances Are Not Configured To Use the Default Service Account",
    "The default service account is configured to be used with VM Instance {name}.",
    "The default service account is not configured to be used with VM Instance {name}.",
    { "CIS-2.0": ["4.1"] },
    true,
  ],
];

function toChecks(provider: CatalogProvider, rows: readonly Row[]): CatalogCheck[] {
  return rows.map(([checkId, service, severity, resourceType, scope, failRate, title, failText, passText, compliance, manual]) => ({
    provider,
    checkId,
    service,
    severity,
    resourceType,
    scope,
    failRate,
    title,
    failText,
    passText,
    compliance,
    ...(manual ? { manual: true } : {}),
  }));
}

/** Every check the generator knows, per provider (real Prowler check ids, services and titles). */
export const CHECK_CATALOG: Readonly<Record<CatalogProvider, readonly CatalogCheck[]>> = {
  aws: toChecks("aws", AWS_ROWS),
  azure: toChecks("azure", AZURE_ROWS),
  gcp: toChecks("gcp", GCP_ROWS),
};

/**
 * The compliance frameworks the catalog's checks map to, per provider: each a SUBSET of Prowler's compliance
 * catalogue of that name and version (`prowler/compliance/<provider>/*.json`, Apache-2.0), holding only the
 * requirements the checks above map to, with Prowler's requirement ids, descriptions and sections.
 * `prowlerCatalogue` turns one into Prowler's JSON shape for `@cspm/ingest`'s `loadComplianceCatalogue`.
 */
export const CATALOG_FRAMEWORKS: readonly CatalogFramework[] = [
  {
    key: "CIS-2.0",
    framework: "CIS",
    version: "2.0",
    provider: "aws",
    name: "CIS Amazon Web Services Foundations Benchmark v2.0.0",
    description:
      "The CIS Amazon Web Services Foundations Benchmark provides prescriptive guidance for configuring security options for a subset of Amazon Web Services with an emphasis on foundational, testable, and architecture agnostic settings.",
    requirements: [
      {
        id: "1.10",
        description: "Ensure multi-factor authentication (MFA) is enabled for all IAM users that have a console password",
        section: "1 Identity and Access Management",
      },
      {
        id: "1.12",
        description: "Ensure credentials unused for 45 days or greater are disabled",
        section: "1 Identity and Access Management",
      },
      { id: "1.14", description: "Ensure access keys are rotated every 90 days or less", section: "1 Identity and Access Management" },
      {
        id: "1.16",
        description: 'Ensure IAM policies that allow full "*:*" administrative privileges are not attached',
        section: "1 Identity and Access Management",
      },
      {
        id: "1.17",
        description: "Ensure a support role has been created to manage incidents with AWS Support",
        section: "1 Identity and Access Management",
      },
      {
        id: "1.20",
        description: "Ensure that IAM Access analyzer is enabled for all regions",
        section: "1 Identity and Access Management",
      },
      { id: "1.4", description: "Ensure no 'root' user account access key exists", section: "1 Identity and Access Management" },
      { id: "1.5", description: "Ensure MFA is enabled for the 'root' user account", section: "1 Identity and Access Management" },
      { id: "1.6", description: "Ensure hardware MFA is enabled for the 'root' user account", section: "1 Identity and Access Management" },
      {
        id: "1.7",
        description: "Eliminate use of the 'root' user for administrative and daily tasks",
        section: "1 Identity and Access Management",
      },
      {
        id: "1.8",
        description: "Ensure IAM password policy requires minimum length of 14 or greater",
        section: "1 Identity and Access Management",
      },
      {
        id: "2.1.1",
        description: "Ensure S3 Bucket Policy is set to deny HTTP requests",
        section: "2 Storage",
        subSection: "2.1. Simple Storage Service (S3)",
      },
      {
        id: "2.1.2",
        description: "Ensure MFA Delete is enabled on S3 buckets",
        section: "2 Storage",
        subSection: "2.1 Simple Storage Service (S3)",
      },
      {
        id: "2.1.4",
        description: "Ensure that S3 Buckets are configured with 'Block public access (bucket settings)'",
        section: "2 Storage",
        subSection: "2.1 Simple Storage Service (S3)",
      },
      {
        id: "2.2.1",
        description: "Ensure EBS Volume Encryption is Enabled in all Regions",
        section: "2 Storage",
        subSection: "2.2 Elastic Compute Cloud (EC2)",
      },
      {
        id: "2.3.1",
        description: "Ensure that encryption is enabled for RDS Instances",
        section: "2 Storage",
        subSection: "2.3 Relational Database Service (RDS)",
      },
      {
        id: "2.3.2",
        description: "Ensure Auto Minor Version Upgrade feature is Enabled for RDS Instances",
        section: "2 Storage",
        subSection: "2.3 Relational Database Service (RDS)",
      },
      {
        id: "2.3.3",
        description: "Ensure that public access is not given to RDS Instance",
        section: "2 Storage",
        subSection: "2.3 Relational Database Service (RDS)",
      },
      { id: "3.1", description: "Ensure CloudTrail is enabled in all regions", section: "3 Logging" },
      { id: "3.2", description: "Ensure CloudTrail log file validation is enabled", section: "3 Logging" },
      { id: "3.5", description: "Ensure AWS Config is enabled in all regions", section: "3 Logging" },
      { id: "3.7", description: "Ensure CloudTrail logs are encrypted at rest using KMS CMKs", section: "3 Logging" },
      { id: "3.8", description: "Ensure rotation for customer created symmetric CMKs is enabled", section: "3 Logging" },
      { id: "3.9", description: "Ensure VPC flow logging is enabled in all VPCs", section: "3 Logging" },
      { id: "4.16", description: "Ensure AWS Security Hub is enabled", section: "4 Monitoring" },
      { id: "4.3", description: "Ensure a log metric filter and alarm exist for usage of 'root' account", section: "4 Monitoring" },
      {
        id: "5.1",
        description: "Ensure no Network ACLs allow ingress from 0.0.0.0/0 to remote server administration ports",
        section: "5 Networking",
      },
      {
        id: "5.2",
        description: "Ensure no security groups allow ingress from 0.0.0.0/0 to remote server administration ports",
        section: "5 Networking",
      },
      {
        id: "5.3",
        description: "Ensure no security groups allow ingress from ::/0 to remote server administration ports",
        section: "5 Networking",
      },
      { id: "5.4", description: "Ensure the default security group of every VPC restricts all traffic", section: "5 Networking" },
      { id: "5.6", description: "Ensure that EC2 Metadata Service only allows IMDSv2", section: "5 Networking" },
    ],
  },
  {
    key: "SOC2",
    framework: "SOC2",
    version: "",
    provider: "aws",
    name: "System and Organization Controls 2 (SOC2)",
    description:
      "System and Organization Controls (SOC), defined by the American Institute of Certified Public Accountants (AICPA), is the name of a set of reports that's produced during an audit. It's intended for use by service organizations (organizations that provide information systems as a service to other organizations) to issue validated reports of internal controls over those information systems to the users of those services. The reports focus on controls grouped into five categories known as Trust Service Principles.",
    requirements: [
      {
        id: "cc_1_3",
        name: "CC1.3 COSO Principle 3: Management establishes, with board oversight, structures, reporting lines, and appropriate authorities and responsibilities in the pursuit of objectives",
        description:
          "Considers All Structures of the Entity - Management and the board of directors consider the multiple structures used (including operating units, legal entities, geographic distribution, and outsourced service providers) to support the achievement of objectives. Establishes Reporting Lines - Management designs and evaluates lines of reporting for each entity structure to enable execution of authorities and responsibilities and flow of information to manage the activities of the entity. Defines, Assigns, and Limits Authorities and Responsibilities - Management and the board of directors delegate authority, define responsibilities, and use appropriate processes and technology to assign responsibility and segregate duties as necessary at the various levels of the organization. Additional points of focus specifically related to all engagements using the trust services criteria: Addresses Specific Requirements When Defining Authorities and Responsibilities—Management and the board of directors consider requirements relevant to security, availability, processing integrity, confidentiality, and privacy when defining authorities and responsibilities. Considers Interactions With External Parties When Establishing Structures, Reporting Lines, Authorities, and Responsibilities — Management and the board of directors consider the need for the entity to interact with and monitor the activities of external parties when establishing structures, reporting lines, authorities, and responsibilities.",
        section: "CC1.0 - Common Criteria Related to Control Environment",
      },
      {
        id: "cc_2_1",
        name: "CC2.1 COSO Principle 13: The entity obtains or generates and uses relevant, quality information to support the functioning of internal control",
        description:
          "Identifies Information Requirements - A process is in place to identify the information required and expected to support the functioning of the other components of internal control and the achievement of the entity’s objectives. Captures Internal and External Sources of Data - Information systems capture internal and external sources of data. Processes Relevant Data Into Information - Information systems process and transform relevant data into information. Maintains Quality Throughout Processing - Information systems produce information that is timely, current, accurate, complete, accessible, protected, verifiable, and retained. Information is reviewed to assess its relevance in supporting the internal control components.",
        section: "CC2.0 - Common Criteria Related to Communication and Information",
      },
      {
        id: "cc_3_1",
        name: "CC3.1 COSO Principle 6: The entity specifies objectives with sufficient clarity to enable the identification and assessment of risks relating to objectives",
        description:
          "Operations Objectives: Reflects Management's Choices - Operations objectives reflect management's choices about structure, industry considerations, and performance of the entity. Considers Tolerances for Risk - Management considers the acceptable levels of variation relative to the achievement of operations objectives. External Financial Reporting Objectives: Complies With Applicable Accounting Standards - Financial reporting objectives are consistent with accounting principles suitable and available for that entity. The accounting principles selected are appropriate in the circumstances. External Nonfinancial Reporting Objectives: Complies With Externally Established Frameworks - Management establishes objectives consistent with laws and regulations or standards and frameworks of recognized external organizations. Reflects Entity Activities - External reporting reflects the underlying transactions and events within a range of acceptable limits. Considers the Required Level of Precision—Management reflects the required level of precision and accuracy suitable for user needs and based on criteria established by third parties in nonfinancial reporting. Internal Reporting Objectives: Reflects Management's Choices - Internal reporting provides management with accurate and complete information regarding management's choices and information needed in managing the entity. Considers the Required Level of Precision—Management reflects the required level of precision and accuracy suitable for user needs in nonfinancial reporting objectives and materiality within financial reporting objectives. Reflects Entity Activities—Internal reporting reflects the underlying transactions and events within a range of acceptable limits. Compliance Objectives: Reflects External Laws and Regulations - Laws and regulations establish minimum standards of conduct, which the entity integrates into compliance objectives. Considers Tolerances for Risk - Management considers the acceptable levels of variation relative to the achievement of operations objectives. Additional point of focus specifically related to all engagements using the trust services criteria: Establishes Sub-objectives to Support Objectives—Management identifies sub-objectives related to security, availability, processing integrity, confidentiality, and privacy to support the achievement of the entity’s objectives related to reporting, operations, and compliance.",
        section: "CC3.0 - Common Criteria Related to Risk Assessment",
      },
      {
        id: "cc_3_2",
        name: "CC3.2 COSO Principle 7: The entity identifies risks to the achievement of its objectives across the entity and analyzes risks as a basis for determining how the risks should be managed",
        description:
          "Includes Entity, Subsidiary, Division, Operating Unit, and Functional Levels - The entity identifies and assesses risk at the entity, subsidiary, division, operating unit, and functional levels relevant to the achievement of objectives. Analyzes Internal and External Factors - Risk identification considers both internal and external factors and their impact on the achievement of objectives. Involves Appropriate Levels of Management - The entity puts into place effective risk assessment mechanisms that involve appropriate levels of management. Estimates Significance of Risks Identified - Identified risks are analyzed through a process that includes estimating the potential significance of the risk. Determines How to Respond to Risks - Risk assessment includes considering how the risk should be managed and whether to accept, avoid, reduce, or share the risk. Additional points of focus specifically related to all engagements using the trust services criteria: Identifies and Assesses Criticality of Information Assets and Identifies Threats and Vulnerabilities - The entity's risk identification and assessment process includes (1) identifying information assets, including physical devices and systems, virtual devices, software, data and data flows, external information systems, and organizational roles; (2) assessing the criticality of those information assets; (3) identifying the threats to the assets from intentional (including malicious) and unintentional acts and environmental events; and (4) identifying the vulnerabilities of the identified assets.",
        section: "CC3.0 - Common Criteria Related to Risk Assessment",
      },
      {
        id: "cc_3_4",
        name: "CC3.4 COSO Principle 9: The entity identifies and assesses changes that could significantly impact the system of internal control",
        description:
          "Assesses Changes in the External Environment - The risk identification process considers changes to the regulatory, economic, and physical environment in which the entity operates. Assesses Changes in the Business Model - The entity considers the potential impacts of new business lines, dramatically altered compositions of existing business lines, acquired or divested business operations on the system of internal control, rapid growth, changing reliance on foreign geographies, and new technologies. Assesses Changes in Leadership - The entity considers changes in management and respective attitudes and philosophies on the system of internal control. Assess Changes in Systems and Technology - The risk identification process considers changes arising from changes in the entity’s systems and changes in the technology environment. Assess Changes in Vendor and Business Partner Relationships - The risk identification process considers changes in vendor and business partner relationships.",
        section: "CC3.0 - Common Criteria Related to Risk Assessment",
      },
      {
        id: "cc_4_2",
        name: "CC4.2 COSO Principle 17: The entity evaluates and communicates internal control deficiencies in a timely manner to those parties responsible for taking corrective action, including senior management and the board of directors, as appropriate",
        description:
          "Assesses Results - Management and the board of directors, as appropriate, assess results of ongoing and separate evaluations. Communicates Deficiencies - Deficiencies are communicated to parties responsible for taking corrective action and to senior management and the board of directors, as appropriate. Monitors Corrective Action - Management tracks whether deficiencies are remedied on a timely basis.",
        section: "CC4.0 - Monitoring Activities",
      },
      {
        id: "cc_6_1",
        name: "CC6.1 The entity implements logical access security software, infrastructure, and architectures over protected information assets to protect them from security events to meet the entity's objectives",
        description:
          "Identifies and Manages the Inventory of Information Assets - The entity identifies, inventories, classifies, and manages information assets. Restricts Logical Access - Logical access to information assets, including hardware, data (at-rest, during processing, or in transmission), software, administrative authorities, mobile devices, output, and offline system components is restricted through the use of access control software and rule sets. Identifies and Authenticates Users - Persons, infrastructure and software are identified and authenticated prior to accessing information assets, whether locally or remotely. Considers Network Segmentation - Network segmentation permits unrelated portions of the entity's information system to be isolated from each other. Manages Points of Access - Points of access by outside entities and the types of data that flow through the points of access are identified, inventoried, and managed. The types of individuals and systems using each point of access are identified, documented, and managed. Restricts Access to Information Assets - Combinations of data classification, separate data structures, port restrictions, access protocol restrictions, user identification, and digital certificates are used to establish access control rules for information assets. Manages Identification and Authentication - Identification and authentication requirements are established, documented, and managed for individuals and systems accessing entity information, infrastructure and software. Manages Credentials for Infrastructure and Software - New internal and external infrastructure and software are registered, authorized, and documented prior to being granted access credentials and implemented on the network or access point. Credentials are removed and access is disabled when access is no longer required or the infrastructure and software are no longer in use. Uses Encryption to Protect Data - The entity uses encryption to supplement other measures used to protect data-at-rest, when such protections are deemed appropriate based on assessed risk. Protects Encryption Keys - Processes are in place to protect encryption keys during generation, storage, use, and destruction.",
        section: "CC6.0 - Logical and Physical Access",
      },
      {
        id: "cc_6_2",
        name: "CC6.2 Prior to issuing system credentials and granting system access, the entity registers and authorizes new internal and external users whose access is administered by the entity",
        description:
          "Prior to issuing system credentials and granting system access, the entity registers and authorizes new internal and external users whose access is administered by the entity. For those users whose access is administered by the entity, user system credentials are removed when user access is no longer authorized. Controls Access Credentials to Protected Assets - Information asset access credentials are created based on an authorization from the system's asset owner or authorized custodian. Removes Access to Protected Assets When Appropriate - Processes are in place to remove credential access when an individual no longer requires such access. Reviews Appropriateness of Access Credentials - The appropriateness of access credentials is reviewed on a periodic basis for unnecessary and inappropriate individuals with credentials.",
        section: "CC6.0 - Logical and Physical Access",
      },
      {
        id: "cc_6_3",
        name: "CC6.3 The entity authorizes, modifies, or removes access to data, software, functions, and other protected information assets based on roles, responsibilities, or the system design and changes, giving consideration to the concepts of least privilege and segregation of duties, to meet the entity’s objectives",
        description:
          "Creates or Modifies Access to Protected Information Assets - Processes are in place to create or modify access to protected information assets based on authorization from the asset’s owner. Removes Access to Protected Information Assets - Processes are in place to remove access to protected information assets when an individual no longer requires access. Uses Role-Based Access Controls - Role-based access control is utilized to support segregation of incompatible functions.",
        section: "CC6.0 - Logical and Physical Access",
      },
      {
        id: "cc_6_6",
        name: "CC6.6 The entity implements logical access security measures to protect against threats from sources outside its system boundaries",
        description:
          "Restricts Access — The types of activities that can occur through a communication channel (for example, FTP site, router port) are restricted. Protects Identification and Authentication Credentials — Identification and authentication credentials are protected during transmission outside its system boundaries. Requires Additional Authentication or Credentials — Additional authentication information or credentials are required when accessing the system from outside its boundaries. Implements Boundary Protection Systems — Boundary protection systems (for example, firewalls, demilitarized zones, and intrusion detection systems) are implemented to protect external access points from attempts and unauthorized access and are monitored to detect such attempts.",
        section: "CC6.0 - Logical and Physical Access",
      },
      {
        id: "cc_6_8",
        name: "CC6.8 The entity implements controls to prevent or detect and act upon the introduction of unauthorized or malicious software to meet the entity’s objectives",
        description:
          "Restricts Application and Software Installation - The ability to install applications and software is restricted to authorized individuals. Detects Unauthorized Changes to Software and Configuration Parameters - Processes are in place to detect changes to software and configuration parameters that may be indicative of unauthorized or malicious software. Uses a Defined Change Control Process - A management-defined change control process is used for the implementation of software. Uses Antivirus and Anti-Malware Software - Antivirus and anti-malware software is implemented and maintained to provide for the interception or detection and remediation of malware. Scans Information Assets from Outside the Entity for Malware and Other Unauthorized Software - Procedures are in place to scan information assets that have been transferred or returned to the entity’s custody for malware and other unauthorized software and to remove any items detected prior to its implementation on the network.",
        section: "CC6.0 - Logical and Physical Access",
      },
      {
        id: "cc_7_1",
        name: "CC7.1 To meet its objectives, the entity uses detection and monitoring procedures to identify (1) changes to configurations that result in the introduction of new vulnerabilities, and (2) susceptibilities to newly discovered vulnerabilities",
        description:
          "Uses Defined Configuration Standards - Management has defined configuration standards. Monitors Infrastructure and Software - The entity monitors infrastructure and software for noncompliance with the standards, which could threaten the achievement of the entity's objectives. Implements Change-Detection Mechanisms - The IT system includes a change-detection mechanism (for example, file integrity monitoring tools) to alert personnel to unauthorized modifications of critical system files, configuration files, or content files. Detects Unknown or Unauthorized Components - Procedures are in place to detect the introduction of unknown or unauthorized components. Conducts Vulnerability Scans - The entity conducts vulnerability scans designed to identify potential vulnerabilities or misconfigurations on a periodic basis and after any significant change in the environment and takes action to remediate identified deficiencies on a timely basis.",
        section: "CC7.0 - System Operations",
      },
      {
        id: "cc_7_2",
        name: "CC7.2 The entity monitors system components and the operation of those components for anomalies that are indicative of malicious acts, natural disasters, and errors affecting the entity's ability to meet its objectives; anomalies are analyzed to determine whether they represent security events",
        description:
          "Implements Detection Policies, Procedures, and Tools - Detection policies and procedures are defined and implemented, and detection tools are implemented on Infrastructure and software to identify anomalies in the operation or unusual activity on systems. Procedures may include (1) a defined governance process for security event detection and management that includes provision of resources; (2) use of intelligence sources to identify newly discovered threats and vulnerabilities; and (3) logging of unusual system activities. Designs Detection Measures - Detection measures are designed to identify anomalies that could result from actual or attempted (1) compromise of physical barriers; (2) unauthorized actions of authorized personnel; (3) use of compromised identification and authentication credentials; (4) unauthorized access from outside the system boundaries; (5) compromise of authorized external parties; and (6) implementation or connection of unauthorized hardware and software. Implements Filters to Analyze Anomalies - Management has implemented procedures to filter, summarize, and analyze anomalies to identify security events. Monitors Detection Tools for Effective Operation - Management has implemented processes to monitor the effectiveness of detection tools.",
        section: "CC7.0 - System Operations",
      },
      {
        id: "cc_7_3",
        name: "CC7.3 The entity evaluates security events to determine whether they could or have resulted in a failure of the entity to meet its objectives (security incidents) and, if so, takes actions to prevent or address such failures",
        description:
          "Responds to Security Incidents - Procedures are in place for responding to security incidents and evaluating the effectiveness of those policies and procedures on a periodic basis. Communicates and Reviews Detected Security Events - Detected security events are communicated to and reviewed by the individuals responsible for the management of the security program and actions are taken, if necessary. Develops and Implements Procedures to Analyze Security Incidents - Procedures are in place to analyze security incidents and determine system impact. Assesses the Impact on Personal Information - Detected security events are evaluated to determine whether they could or did result in the unauthorized disclosure or use of personal information and whether there has been a failure to comply with applicable laws or regulations. Determines Personal Information Used or Disclosed - When an unauthorized use or disclosure of personal information has occurred, the affected information is identified.",
        section: "CC7.0 - System Operations",
      },
      {
        id: "cc_7_4",
        name: "CC7.4 The entity responds to identified security incidents by executing a defined incident response program to understand, contain, remediate, and communicate security incidents, as appropriate",
        description:
          "Assigns Roles and Responsibilities - Roles and responsibilities for the design, implementation, maintenance, and execution of the incident response program are assigned, including the use of external resources when necessary. Contains Security Incidents - Procedures are in place to contain security incidents that actively threaten entity objectives. Mitigates Ongoing Security Incidents - Procedures are in place to mitigate the effects of ongoing security incidents. Ends Threats Posed by Security Incidents - Procedures are in place to end the threats posed by security incidents through closure of the vulnerability, removal of unauthorized access, and other remediation actions. Restores Operations - Procedures are in place to restore data and business operations to an interim state that permits the achievement of entity objectives. Develops and Implements Communication Protocols for Security Incidents - Protocols for communicating security incidents and actions taken to affected parties are developed and implemented to meet the entity's objectives. Obtains Understanding of Nature of Incident and Determines Containment Strategy - An understanding of the nature (for example, the method by which the incident occurred and the affected system resources) and severity of the security incident is obtained to determine the appropriate containment strategy, including (1) a determination of the appropriate response time frame, and (2) the determination and execution of the containment approach. Remediates Identified Vulnerabilities - Identified vulnerabilities are remediated through the development and execution of remediation activities. Communicates Remediation Activities - Remediation activities are documented and communicated in accordance with the incident response program. Evaluates the Effectiveness of Incident Response - The design of incident response activities is evaluated for effectiveness on a periodic basis. Periodically Evaluates Incidents - Periodically, management reviews incidents related to security, availability, processing integrity, confidentiality, and privacy and identifies the need for system changes based on incident patterns and root causes. Communicates Unauthorized Use and Disclosure - Events that resulted in unauthorized use or disclosure of personal information are communicated to the data subjects, legal and regulatory authorities, and others as required. Application of Sanctions - The conduct of individuals and organizations operating under the authority of the entity and involved in the unauthorized use or disclosure of personal information is evaluated and, if appropriate, sanctioned in accordance with entity policies and legal and regulatory requirements.",
        section: "CC7.0 - System Operations",
      },
      {
        id: "cc_8_1",
        name: "CC8.1 The entity authorizes, designs, develops or acquires, configures, documents, tests, approves, and implements changes to infrastructure, data, software, and procedures to meet its objectives",
        description:
          "Manages Changes Throughout the System Lifecycle - A process for managing system changes throughout the lifecycle of the system and its components (infrastructure, data, software and procedures) is used to support system availability and processing integrity. Authorizes Changes - A process is in place to authorize system changes prior to development. Designs and Develops Changes - A process is in place to design and develop system changes. Documents Changes - A process is in place to document system changes to support ongoing maintenance of the system and to support system users in performing their responsibilities. Tracks System Changes - A process is in place to track system changes prior to implementation. Configures Software - A process is in place to select and implement the configuration parameters used to control the functionality of software. Tests System Changes - A process is in place to test system changes prior to implementation. Approves System Changes - A process is in place to approve system changes prior to implementation. Deploys System Changes - A process is in place to implement system changes. Identifies and Evaluates System Changes - Objectives affected by system changes are identified, and the ability of the modified system to meet the objectives is evaluated throughout the system development life cycle. Identifies Changes in Infrastructure, Data, Software, and Procedures Required to Remediate Incidents - Changes in infrastructure, data, software, and procedures required to remediate incidents to continue to meet objectives are identified, and the change process is initiated upon identification. Creates Baseline Configuration of IT Technology - A baseline configuration of IT and control systems is created and maintained. Provides for Changes Necessary in Emergency Situations - A process is in place for authorizing, designing, testing, approving and implementing changes necessary in emergency situations (that is, changes that need to be implemented in an urgent timeframe). Protects Confidential Information - The entity protects confidential information during system design, development, testing, implementation, and change processes to meet the entity’s objectives related to confidentiality. Protects Personal Information - The entity protects personal information during system design, development, testing, implementation, and change processes to meet the entity’s objectives related to privacy.",
        section: "CC8.0 - Change Management",
      },
      {
        id: "cc_a_1_1",
        name: "A1.2 The entity authorizes, designs, develops or acquires, implements, operates, approves, maintains, and monitors environmental protections, software, data back-up processes, and recovery infrastructure to meet its objectives",
        description:
          "Measures Current Usage - The use of the system components is measured to establish a baseline for capacity management and to use when evaluating the risk of impaired availability due to capacity constraints. Forecasts Capacity - The expected average and peak use of system components is forecasted and compared to system capacity and associated tolerances. Forecasting considers capacity in the event of the failure of system components that constrain capacity. Makes Changes Based on Forecasts - The system change management process is initiated when forecasted usage exceeds capacity tolerances.",
        section: "CCA1.0 - Additional Criterial for Availability",
      },
      {
        id: "pi_1_2",
        name: "PI1.2 System inputs are measured and recorded completely, accurately, and timely to meet the entity's processing integrity commitments and system requirements",
        description:
          "The entity implements policies and procedures over system inputs, including controls over completeness and accuracy, to result in products, services, and reporting to meet the entity's objectives. This includes defining accuracy targets, monitoring input quality, and creating detailed records of each input event.",
        section: "PI1.0 - Processing Integrity",
      },
      {
        id: "pi_1_3",
        name: "PI1.3 Data is processed completely, accurately, and timely as authorized to meet the entity's processing integrity commitments and system requirements",
        description:
          "The entity implements controls to ensure data is processed completely, accurately, and timely. This includes defining processing specifications, identifying processing activities, detecting and correcting errors throughout processing, recording processing activities with accurate logs, and ensuring completeness and timeliness of processing.",
        section: "PI1.0 - Processing Integrity",
      },
      {
        id: "pi_1_4",
        name: "PI1.4 System outputs are complete, accurate, distributed only to intended parties, and retained to meet the entity's processing integrity commitments and system requirements",
        description:
          "The entity implements controls to ensure system outputs are delivered to authorized recipients in the correct format and protected against unauthorized access, modification, theft, destruction, or corruption. This includes output encryption, access controls, and audit trails for output delivery.",
        section: "PI1.0 - Processing Integrity",
      },
      {
        id: "pi_1_5",
        name: "PI1.5 Stored data is maintained complete, accurate, and protected from unauthorized modification to meet the entity's processing integrity commitments and system requirements",
        description:
          "The entity implements controls to protect stored inputs, items in processing, and outputs from theft, destruction, corruption, or deterioration. This includes data encryption at rest, key management, backup and recovery procedures, access controls, and data integrity validation.",
        section: "PI1.0 - Processing Integrity",
      },
    ],
  },
  {
    key: "ISO27001-2022",
    framework: "ISO27001",
    version: "2022",
    provider: "aws",
    name: "ISO/IEC 27001 Information Security Management Standard 2022",
    description:
      "ISO (the International Organization for Standardization) and IEC (the International Electrotechnical Commission) form the specialized system for worldwide standardization. National bodies that are members of ISO or IEC participate in the development of International Standards through technical committees established by the respective organization to deal with particular fields of technical activity. ISO and IEC technical committees collaborate in fields of mutual interest. Other international organizations, governmental and non-governmental, in liaison with ISO and IEC, also take part in the work.",
    requirements: [
      {
        id: "A.5.1",
        name: "Policies for information security",
        description:
          "Information security policy and topic-specific policies should be defined, approved by management, published, communicated to and acknowledged by relevant personnel and relevant interested parties, and reviewed at planned intervals and if significant changes occur.",
        section: "A.5 Organizational controls",
      },
      {
        id: "A.5.15",
        name: "Access Control",
        description: "Rules to control physical and logical access to information and other associated assets should be established",
        section: "A.5 Organizational controls",
      },
      {
        id: "A.5.16",
        name: "Identity Management",
        description: "The full lifecycle of identities should be managed.",
        section: "A.5 Organizational controls",
      },
      {
        id: "A.5.17",
        name: "Authentication Information",
        description:
          "Allocation and management of authentication information should be controlled by a management process, including advising personnel on the appropriate handling of authentication information.",
        section: "A.5 Organizational controls",
      },
      {
        id: "A.5.18",
        name: "Access Rights",
        description:
          "Access rights to information and other associated assets should be provisioned, reviewed, modified and removed in accordance with the organisation’s topic-specific policy on and rules for access control.",
        section: "A.5 Organizational controls",
      },
      {
        id: "A.5.19",
        name: "Information Security In Supplier Relationships",
        description:
          "Processes and procedures should be defined and implemented to manage the information security risks associated with the use of supplier’s products or services.",
        section: "A.5 Organizational controls",
      },
      {
        id: "A.5.21",
        name: "Managing Information Security In The ICT Supply Chain",
        description:
          "Processes and procedures should be defined and implemented to manage the information security risks associated with the ICT products and services supply chain.",
        section: "A.5 Organizational controls",
      },
      {
        id: "A.5.22",
        name: "Monitor, Review And Change Management Of Supplier Services",
        description:
          "The organisation should regularly monitor, review, evaluate and manage change in supplier information security practices and service delivery.",
        section: "A.5 Organizational controls",
      },
      {
        id: "A.5.25",
        name: "Assessment And Decision On Information Security Events",
        description:
          "The organisation should assess information security events and decide if they are to be categorised as information security incidents.",
        section: "A.5 Organizational controls",
      },
      {
        id: "A.5.28",
        name: "Collection Of Evidence",
        description:
          "The organisation should establish and implement procedures for the identification, collection, acquisition and preservation of evidence related to information security events.",
        section: "A.5 Organizational controls",
      },
      {
        id: "A.5.29",
        name: "Information Security During Disruption",
        description: "The organisation should plan how to maintain information security at an appropriate level during disruption.",
        section: "A.5 Organizational controls",
      },
      {
        id: "A.8.1",
        name: "User Endpoint Devices",
        description: "Information stored on, processed by or accessible via user endpoint devices should be protected.",
        section: "A.8 Technological controls",
      },
      {
        id: "A.8.2",
        name: "Privileged Access Rights",
        description: "The allocation and use of privileged access rights should be restricted and managed.",
        section: "A.8 Technological controls",
      },
      {
        id: "A.8.3",
        name: "Information Access Restriction",
        description:
          "Access to information and other associated assets should be restricted in accordance with the established topic-specific policy on access control.",
        section: "A.8 Technological controls",
      },
      {
        id: "A.8.5",
        name: "Secure Authentication",
        description:
          "Secure authentication technologies and procedures should be implemented based on information access restrictions and the topic-specific policy on access control.",
        section: "A.8 Technological controls",
      },
      {
        id: "A.8.7",
        name: "Protection Against Malware",
        description: "Protection against malware should be implemented and supported by appropriate user awareness.",
        section: "A.8 Technological controls",
      },
      {
        id: "A.8.9",
        name: "Configuration Management",
        description:
          "Configurations, including security configurations, of hardware, software, services and networks should be established, documented, implemented, monitored and reviewed.",
        section: "A.8 Technological controls",
      },
      {
        id: "A.8.11",
        name: "Data Masking",
        description:
          "Data masking should be used in accordance with the organisation’s topic-specific policy on access control and other related topic-specific policies, and business requirements, taking applicable legislation into consideration.",
        section: "A.8 Technological controls",
      },
      {
        id: "A.8.15",
        name: "Logging",
        description:
          "Logs that record activities, exceptions, faults and other relevant events should be produced, stored, protected and analysed.",
        section: "A.8 Technological controls",
      },
      {
        id: "A.8.16",
        name: "Monitoring Activities",
        description:
          "Networks, systems and applications should be monitored for anomalous behaviour and appropriate actions taken to evaluate potential information security incidents.",
        section: "A.8 Technological controls",
      },
      {
        id: "A.8.20",
        name: "Network Security",
        description:
          "Networks and network devices should be secured, managed and controlled to protect information in systems and applications.",
        section: "A.8 Technological controls",
      },
      {
        id: "A.8.21",
        name: "Security of Network Services",
        description:
          "Security mechanisms, service levels and service requirements of network services should be identified, implemented and monitored.",
        section: "A.8 Technological controls",
      },
      {
        id: "A.8.22",
        name: "Segregation of Networks",
        description:
          "Security mechanisms, service levels and service requirements of network services should be identified, implemented and monitored.",
        section: "A.8 Technological controls",
      },
      {
        id: "A.8.23",
        name: "Web Filtering",
        description: "Access to external websites should be managed to reduce exposure to malicious content.",
        section: "A.8 Technological controls",
      },
      {
        id: "A.8.24",
        name: "Use of Cryptography",
        description:
          "Rules for the effective use of cryptography, including cryptographic key management, should be defined and implemented.",
        section: "A.8 Technological controls",
      },
    ],
  },
  {
    key: "CIS-2.0",
    framework: "CIS",
    version: "2.0",
    provider: "azure",
    name: "CIS Microsoft Azure Foundations Benchmark v2.0.0",
    description:
      "The CIS Azure Foundations Benchmark provides prescriptive guidance for configuring security options for a subset of Azure with an emphasis on foundational, testable, and architecture agnostic settings.",
    requirements: [
      {
        id: "1.23",
        description: "Ensure That No Custom Subscription Administrator Roles Exist",
        section: "1 Identity and Access Management",
      },
      {
        id: "1.24",
        description: "Ensure a Custom Role is Assigned Permissions for Administering Resource Locks",
        section: "1 Identity and Access Management",
      },
      {
        id: "2.1.1",
        description: "Ensure That Microsoft Defender for Servers Is Set to 'On'",
        section: "2 Microsoft Defender",
        subSection: "2.1 Microsoft Defender for Cloud",
      },
      {
        id: "2.1.2",
        description: "Ensure That Microsoft Defender for App Services Is Set To 'On'",
        section: "2 Microsoft Defender",
        subSection: "2.1 Microsoft Defender for Cloud",
      },
      {
        id: "2.1.5",
        description: "Ensure That Microsoft Defender for SQL Servers on Machines Is Set To 'On'",
        section: "2 Microsoft Defender",
        subSection: "2.1 Microsoft Defender for Cloud",
      },
      {
        id: "2.1.7",
        description: "Ensure That Microsoft Defender for Storage Is Set To 'On'",
        section: "2 Microsoft Defender",
        subSection: "2.1 Microsoft Defender for Cloud",
      },
      {
        id: "2.1.8",
        description: "Ensure That Microsoft Defender for Containers Is Set To 'On'",
        section: "2 Microsoft Defender",
        subSection: "2.1 Microsoft Defender for Cloud",
      },
      {
        id: "2.1.10",
        description: "Ensure That Microsoft Defender for Key Vault Is Set To 'On'",
        section: "2 Microsoft Defender",
        subSection: "2.1 Microsoft Defender for Cloud",
      },
      {
        id: "2.1.20",
        description: "Ensure 'Additional email addresses' is Configured with a Security Contact Email",
        section: "2 Microsoft Defender",
        subSection: "2.1 Microsoft Defender for Cloud",
      },
      { id: "3.1", description: "Ensure that 'Secure transfer required' is set to 'Enabled'", section: "3 Storage Accounts" },
      {
        id: "3.7",
        description: "Ensure that 'Public access level' is disabled for storage accounts with blob containers",
        section: "3 Storage Accounts",
      },
      { id: "3.8", description: "Ensure Default Network Access Rule for Storage Accounts is Set to Deny", section: "3 Storage Accounts" },
      { id: "3.11", description: "Ensure Soft Delete is Enabled for Azure Containers and Blob Storage", section: "3 Storage Accounts" },
      {
        id: "3.15",
        description: "Ensure the 'Minimum TLS version' for storage accounts is set to 'Version 1.2'",
        section: "3 Storage Accounts",
      },
      {
        id: "4.1.1",
        description: "Ensure that 'Auditing' is set to 'On'",
        section: "4 Database Services",
        subSection: "4.1 SQL Server - Auditing",
      },
      {
        id: "4.1.2",
        description: "Ensure no Azure SQL Databases allow ingress from 0.0.0.0/0 (ANY IP)",
        section: "4 Database Services",
        subSection: "4.1 SQL Server - Auditing",
      },
      {
        id: "4.1.4",
        description: "Ensure that Azure Active Directory Admin is Configured for SQL Servers",
        section: "4 Database Services",
        subSection: "4.1 SQL Server - Auditing",
      },
      {
        id: "4.1.5",
        description: "Ensure that 'Data encryption' is set to 'On' on a SQL Database",
        section: "4 Database Services",
        subSection: "4.1 SQL Server - Auditing",
      },
      {
        id: "4.5.1",
        description: "Ensure server parameter 'audit_log_events' has 'CONNECTION' set for MySQL Database Server",
        section: "4 Database Services",
        subSection: "4.5 Cosmos DB",
      },
      {
        id: "5.1.1",
        description: "Ensure that a 'Diagnostic Setting' exists",
        section: "5 Logging and Monitoring",
        subSection: "5.1 Configuring Diagnostic Settings",
      },
      { id: "6.1", description: "Ensure that RDP access from the Internet is evaluated and restricted", section: "6 Networking" },
      { id: "6.2", description: "Ensure that SSH access from the Internet is evaluated and restricted", section: "6 Networking" },
      { id: "6.6", description: "Ensure that Network Watcher is 'Enabled'", section: "6 Networking" },
      {
        id: "7.3",
        description: "Ensure that 'OS and Data' disks are encrypted with Customer Managed Key (CMK)",
        section: "7 Virtual Machines",
      },
      { id: "8.2", description: "Ensure that the Expiration Date is set for all Keys in Non-RBAC Key Vaults.", section: "8 Key Vault" },
      { id: "8.5", description: "Ensure the Key Vault is Recoverable", section: "8 Key Vault" },
      { id: "8.6", description: "Enable Role Based Access Control for Azure Key Vault", section: "8 Key Vault" },
      { id: "9.2", description: "Ensure Web App Redirects All HTTP traffic to HTTPS in Azure App Service", section: "9 AppService" },
      { id: "9.3", description: "Ensure Web App is using the latest version of TLS encryption", section: "9 AppService" },
    ],
  },
  {
    key: "CIS-2.0",
    framework: "CIS",
    version: "2.0",
    provider: "gcp",
    name: "CIS Google Cloud Platform Foundation Benchmark v2.0.0",
    description:
      "This CIS Benchmark is the product of a community consensus process and consists of secure configuration guidelines developed for Google Cloud Computing Platform",
    requirements: [
      {
        id: "1.10",
        description:
          "Google Cloud Key Management Service stores cryptographic keys in a hierarchical structure designed for useful and elegant access control management. The format for the rotation schedule depends on the client library that is used. For the gcloud command-line tool, the next rotation time must be in `ISO` or `RFC3339` format, and the rotation period must be in the form `INTEGERUNIT`, where units can be one of seconds (s), minutes (m), hours (h) or days (d).",
        section: "1 Identity and Access Management",
      },
      {
        id: "1.6",
        description:
          "It is recommended to assign the `Service Account User (iam.serviceAccountUser)` and `Service Account Token Creator (iam.serviceAccountTokenCreator)` roles to a user for a specific service account rather than assigning the role to a user at project level.",
        section: "1 Identity and Access Management",
      },
      {
        id: "1.11",
        description:
          "It is recommended that the principle of 'Separation of Duties' is enforced while assigning KMS related roles to users.",
        section: "1 Identity and Access Management",
      },
      {
        id: "1.5",
        description:
          "A service account is a special Google account that belongs to an application or a VM, instead of to an individual end-user. The application uses the service account to call the service's Google API so that users aren't directly involved. It's recommended not to use admin access for ServiceAccount.",
        section: "1 Identity and Access Management",
      },
      {
        id: "1.7",
        description:
          "Service Account keys consist of a key ID (Private_key_Id) and Private key, which are used to sign programmatic requests users make to Google cloud services accessible to that particular service account. It is recommended that all Service Account keys are regularly rotated.",
        section: "1 Identity and Access Management",
      },
      {
        id: "2.3",
        description:
          "Enabling retention policies on log buckets will protect logs stored in cloud storage buckets from being overwritten or accidentally deleted. It is recommended to set up retention policies and configure Bucket Lock on all storage buckets that are used as log sinks.",
        section: "2 Logging and Monitoring",
      },
      {
        id: "2.2",
        description:
          "It is recommended to create a sink that will export copies of all the log entries. This can help aggregate logs from multiple projects and export them to a Security Information and Event Management (SIEM).",
        section: "2 Logging and Monitoring",
      },
      {
        id: "3.3",
        description:
          "Cloud Domain Name System (DNS) is a fast, reliable and cost-effective domain name system that powers millions of domains on the internet. Domain Name System Security Extensions (DNSSEC) in Cloud DNS enables domain owners to take easy steps to protect their domains against DNS hijacking and man-in-the-middle and other attacks.",
        section: "3 Networking",
      },
      {
        id: "3.7",
        description:
          "GCP `Firewall Rules` are specific to a `VPC Network`. Each rule either `allows` or `denies` traffic when its conditions are met. Its conditions allow users to specify the type of traffic, such as ports and protocols, and the source or destination of the traffic, including IP addresses, subnets, and instances. Firewall rules are defined at the VPC network level and are specific to the network in which they are defined. The rules themselves cannot be shared among networks. Firewall rules only support IPv4 traffic. When specifying a source for an ingress rule or a destination for an egress rule by address, an `IPv4` address or `IPv4 block in CIDR` notation can be used. Generic `(0.0.0.0/0)` incoming traffic from the Internet to a VPC or VM instance using `RDP` on `Port 3389` can be avoided.",
        section: "3 Networking",
      },
      {
        id: "3.6",
        description:
          "GCP `Firewall Rules` are specific to a `VPC Network`. Each rule either `allows` or `denies` traffic when its conditions are met. Its conditions allow the user to specify the type of traffic, such as ports and protocols, and the source or destination of the traffic, including IP addresses, subnets, and instances. Firewall rules are defined at the VPC network level and are specific to the network in which they are defined. The rules themselves cannot be shared among networks. Firewall rules only support IPv4 traffic. When specifying a source for an ingress rule or a destination for an egress rule by address, only an `IPv4` address or `IPv4 block in CIDR` notation can be used. Generic `(0.0.0.0/0)` incoming traffic from the internet to VPC or VM instance using `SSH` on `Port 22` can be avoided.",
        section: "3 Networking",
      },
      {
        id: "3.1",
        description: "To prevent use of `default` network, a project should not have a `default` network.",
        section: "3 Networking",
      },
      {
        id: "4.5",
        description:
          "Interacting with a serial port is often referred to as the serial console, which is similar to using a terminal window, in that input and output is entirely in text mode and there is no graphical interface or mouse support. If you enable the interactive serial console on an instance, clients can attempt to connect to that instance from any IP address. Therefore interactive serial console support should be disabled.",
        section: "4 Virtual Machines",
      },
      {
        id: "4.8",
        description:
          "To defend against advanced threats and ensure that the boot loader and firmware on your VMs are signed and untampered, it is recommended that Compute instances are launched with Shielded VM enabled.",
        section: "4 Virtual Machines",
      },
      {
        id: "4.4",
        description: "Enabling OS login binds SSH certificates to IAM users and facilitates effective SSH certificate management.",
        section: "4 Virtual Machines",
      },
      {
        id: "4.9",
        description: "Compute instances should not be configured to have external IP addresses.",
        section: "4 Virtual Machines",
      },
      {
        id: "4.1",
        description:
          "It is recommended to configure your instance to not use the default Compute Engine service account because it has the Editor role on the project.",
        section: "4 Virtual Machines",
      },
      {
        id: "4.2",
        description:
          "To support principle of least privileges and prevent potential privilege escalation it is recommended that instances are not assigned to default service account `Compute Engine default service account` with Scope `Allow full access to all Cloud APIs`.",
        section: "4 Virtual Machines",
      },
      {
        id: "5.1",
        description: "It is recommended that IAM policy on Cloud Storage bucket does not allows anonymous or public access.",
        section: "5 Storage",
      },
      {
        id: "5.2",
        description: "It is recommended that uniform bucket-level access is enabled on Cloud Storage buckets.",
        section: "5 Storage",
      },
      {
        id: "6.7",
        description: "It is recommended to have all SQL database instances set to enable automated backups.",
        section: "6 Cloud SQL Database Services",
      },
      {
        id: "6.6",
        description: "It is recommended to configure Second Generation Sql instance to use private IPs instead of public IPs.",
        section: "6 Cloud SQL Database Services",
      },
      {
        id: "6.5",
        description:
          "Database Server should accept connections only from trusted Network(s)/IP(s) and restrict access from public IP addresses.",
        section: "6 Cloud SQL Database Services",
      },
      {
        id: "6.4",
        description: "It is recommended to enforce all incoming connections to SQL database instance to use SSL.",
        section: "6 Cloud SQL Database Services",
      },
      {
        id: "7.3",
        description:
          "BigQuery by default encrypts the data as rest by employing `Envelope Encryption` using Google managed cryptographic keys. The data is encrypted using the `data encryption keys` and data encryption keys themselves are further encrypted using `key encryption keys`. This is seamless and do not require any additional input from the user. However, if you want to have greater control, Customer-managed encryption keys (CMEK) can be used as encryption key management solution for BigQuery Data Sets.",
        section: "7 BigQuery",
      },
      {
        id: "7.1",
        description: "It is recommended that the IAM policy on BigQuery datasets does not allow anonymous and/or public access.",
        section: "7 BigQuery",
      },
    ],
  },
];

/** The regions resources are spread over, per provider (the first is where global services report). */
export const CATALOG_REGIONS: Readonly<Record<CatalogProvider, readonly string[]>> = {
  aws: ["us-east-1", "us-east-2", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2"],
  azure: ["eastus", "westeurope", "northeurope", "uksouth", "centralus", "southeastasia"],
  gcp: ["us-central1", "us-east1", "europe-west1", "europe-west3", "asia-southeast1"],
};

/** Resource types whose resources live in no region (IAM and friends). */
const GLOBAL_TYPES = new Set([
  "AwsIamUser",
  "AwsIamPolicy",
  "AwsIamRole",
  "AwsIamPasswordPolicy",
  "ServiceAccount",
  "ServiceAccountKey",
  "FirewallRule",
  "Network",
  "Project",
  "ManagedZone",
]);

const ORGS = ["acme", "orbit", "nimbus", "atlas", "vertex", "zephyr", "helios", "quasar"];
const ENVS = ["prod", "stg", "dev", "shared", "sandbox"];
const WORDS: Readonly<Record<string, readonly string[]>> = {
  AwsIamUser: ["alice", "bob", "ci-deployer", "terraform", "grafana", "backup-bot", "dana", "eve", "svc-billing", "svc-etl"],
  AwsIamPolicy: ["AdminRole", "DeployRole", "ReadOnlyRole", "BreakGlass", "DataScience", "LambdaExec", "EksNodeRole"],
  AwsS3Bucket: ["logs", "assets", "backups", "data-lake", "artifacts", "cdn-origin", "tf-state", "exports", "ml-datasets"],
  AwsKmsKey: ["app", "rds", "s3", "ebs", "secrets"],
  AwsRdsDbInstance: ["orders-db", "users-db", "analytics", "billing-db", "inventory"],
  AwsLambdaFunction: ["thumbnailer", "webhook-handler", "etl-loader", "auth-trigger", "report-builder", "slack-notifier"],
  AwsEksCluster: ["platform", "data", "edge", "ml"],
  AwsElbv2LoadBalancer: ["public-web", "internal-api", "grpc-gw", "admin"],
  AzureStorageAccount: ["logs", "backup", "media", "data", "diag", "tfstate"],
  AzureSqlServer: ["orders", "crm", "reporting", "identity"],
  AzureKeyVault: ["kv-app", "kv-shared", "kv-certs", "kv-data"],
  AzureNetworkSecurityGroup: ["nsg-web", "nsg-app", "nsg-db", "nsg-bastion", "nsg-aks"],
  AzureWebApp: ["portal", "api", "admin", "status", "docs"],
  AzureKubernetesCluster: ["aks-platform", "aks-data", "aks-edge"],
  AzureVirtualMachine: ["vm-build", "vm-jump", "vm-sql", "vm-app"],
  AzureCosmosDbAccount: ["cosmos-catalog", "cosmos-sessions", "cosmos-events"],
  ServiceAccount: ["deployer", "dataflow-runner", "gke-nodes", "backup", "ci", "bq-loader"],
  ServiceAccountKey: ["deployer", "dataflow-runner", "ci", "backup"],
  FirewallRule: ["allow-ssh", "allow-rdp", "allow-http", "allow-internal", "allow-health-checks", "allow-lb"],
  VMInstance: ["web", "worker", "bastion", "batch", "cache", "ingest"],
  Bucket: ["logs", "assets", "backups", "exports", "ml-data", "static"],
  DatabaseInstance: ["orders-pg", "users-mysql", "analytics-pg", "billing-pg"],
  CryptoKey: ["app-key", "bq-key", "gcs-key", "sql-key"],
  Dataset: ["analytics", "billing_export", "events", "marketing"],
  ManagedZone: ["public-zone", "internal-zone", "corp-zone"],
  Cluster: ["gke-platform", "gke-data", "gke-edge"],
};

/** The zone a GCP region's resources use. */
function gcpZone(region: string, k: number): string {
  return `${region}-${"abc"[k % 3] ?? "a"}`;
}

/** The account-level resource of a provider account (AWS root, Azure subscription, GCP project). */
export function accountResource(provider: CatalogProvider, accountId: string): CatalogResource {
  const region = provider === "aws" ? "us-east-1" : "global";
  if (provider === "aws") return { uid: `arn:aws:iam::${accountId}:root`, name: "<root_account>", region, tags: {} };
  if (provider === "azure") return { uid: `/subscriptions/${accountId}`, name: accountId, region, tags: {} };
  return { uid: `projects/${accountId}`, name: accountId, region, tags: {} };
}

/** The per-region resource of a `region`-scoped check (a detector, a recorder, a trail, a watcher). */
export function regionResource(check: CatalogCheck, accountId: string, region: string): CatalogResource {
  const rng = seededRandom(`${accountId}|${check.resourceType}|${region}`);
  switch (check.resourceType) {
    case "AwsGuardDutyDetector": {
      const id = rng.hex(32);
      return { uid: `arn:aws:guardduty:${region}:${accountId}:detector/${id}`, name: id, region, tags: {} };
    }
    case "AwsConfigRecorder":
      return { uid: `arn:aws:config:${region}:${accountId}:recorder/default`, name: "default", region, tags: {} };
    case "AwsSecurityHubHub":
      return { uid: `arn:aws:securityhub:${region}:${accountId}:hub/default`, name: "default", region, tags: {} };
    case "AwsAccessAnalyzer":
      return {
        uid: `arn:aws:access-analyzer:${region}:${accountId}:analyzer/${region}-analyzer`,
        name: `${region}-analyzer`,
        region,
        tags: {},
      };
    case "AwsCloudTrailTrail":
      return { uid: `arn:aws:cloudtrail:${region}:${accountId}:trail/org-trail`, name: "org-trail", region, tags: {} };
    case "AwsEc2Account":
      return { uid: `arn:aws:ec2:${region}:${accountId}:volume/*`, name: accountId, region, tags: {} };
    case "AzureNetworkWatcher":
      return {
        uid: `/subscriptions/${accountId}/resourceGroups/NetworkWatcherRG/providers/Microsoft.Network/networkWatchers/NetworkWatcher_${region}`,
        name: accountId,
        region,
        tags: {},
      };
    default:
      return { ...accountResource(check.provider, accountId), region };
  }
}

/**
 * The `index`-th resource of a type in an account: deterministic (same arguments, same resource), so
 * checks of one type share their resources and regenerated files upsert onto the same findings.
 */
export function poolResource(provider: CatalogProvider, resourceType: string, accountId: string, index: number): CatalogResource {
  const rng = seededRandom(`${accountId}|${resourceType}|${index}`);
  const regions = CATALOG_REGIONS[provider];
  const region = GLOBAL_TYPES.has(resourceType)
    ? provider === "aws"
      ? "us-east-1"
      : "global"
    : (regions[index % regions.length] as string);
  const org = rng.pick(ORGS);
  const env = rng.pick(ENVS);
  const word = rng.pick(WORDS[resourceType] ?? ["resource"]);
  const suffix = `${index.toString(36)}${rng.hex(3)}`;
  const tags: Record<string, string> = rng.next() < 0.7 ? { env, owner: `team-${org}`, "cost-center": `cc-${rng.int(100, 999)}` } : {};
  const rg = `rg-${org}-${env}`;
  const name = `${org}-${word}-${env}-${suffix}`;
  const resource = (uid: string, resourceName = name): CatalogResource => ({ uid, name: resourceName, region, tags });
  switch (resourceType) {
    case "AwsIamUser":
      return resource(`arn:aws:iam::${accountId}:user/${word}-${suffix}`, `${word}-${suffix}`);
    case "AwsIamPolicy":
      return resource(`arn:aws:iam::${accountId}:role/${word}-${suffix}`, `${word}-${suffix}`);
    case "AwsS3Bucket":
      return resource(`arn:aws:s3:::${name}`);
    case "AwsEc2Volume": {
      const id = `vol-0${rng.hex(16)}`;
      return resource(`arn:aws:ec2:${region}:${accountId}:volume/${id}`, id);
    }
    case "AwsEc2Snapshot": {
      const id = `snap-0${rng.hex(16)}`;
      return resource(`arn:aws:ec2:${region}:${accountId}:snapshot/${id}`, id);
    }
    case "AwsEc2Instance": {
      const id = `i-0${rng.hex(16)}`;
      return resource(`arn:aws:ec2:${region}:${accountId}:instance/${id}`, id);
    }
    case "AwsEc2SecurityGroup": {
      const id = `sg-0${rng.hex(16)}`;
      return resource(`arn:aws:ec2:${region}:${accountId}:security-group/${id}`, id);
    }
    case "AwsEc2NetworkAcl": {
      const id = `acl-0${rng.hex(16)}`;
      return resource(`arn:aws:ec2:${region}:${accountId}:network-acl/${id}`, id);
    }
    case "AwsEc2Vpc": {
      const id = `vpc-0${rng.hex(16)}`;
      return resource(`arn:aws:ec2:${region}:${accountId}:vpc/${id}`, id);
    }
    case "AwsKmsKey": {
      const id = `${rng.hex(8)}-${rng.hex(4)}-${rng.hex(4)}-${rng.hex(4)}-${rng.hex(12)}`;
      return resource(`arn:aws:kms:${region}:${accountId}:key/${id}`, id);
    }
    case "AwsRdsDbInstance":
      return resource(`arn:aws:rds:${region}:${accountId}:db:${name}`);
    case "AwsLambdaFunction":
      return resource(`arn:aws:lambda:${region}:${accountId}:function:${name}`);
    case "AwsEksCluster":
      return resource(`arn:aws:eks:${region}:${accountId}:cluster/${name}`);
    case "AwsElbv2LoadBalancer":
      return resource(`arn:aws:elasticloadbalancing:${region}:${accountId}:loadbalancer/app/${name}/${rng.hex(16)}`);
    case "AzureStorageAccount": {
      const account = `${org}${word}${env}${suffix}`.replace(/[^a-z0-9]/g, "").slice(0, 24);
      return resource(`/subscriptions/${accountId}/resourceGroups/${rg}/providers/Microsoft.Storage/storageAccounts/${account}`, account);
    }
    case "AzureSqlServer":
      return resource(`/subscriptions/${accountId}/resourceGroups/${rg}/providers/Microsoft.Sql/servers/${name}`);
    case "AzureKeyVault": {
      const vault = `${word}-${env}-${suffix}`.slice(0, 24);
      return resource(`/subscriptions/${accountId}/resourceGroups/${rg}/providers/Microsoft.KeyVault/vaults/${vault}`, vault);
    }
    case "AzureNetworkSecurityGroup":
      return resource(
        `/subscriptions/${accountId}/resourceGroups/${rg}/providers/Microsoft.Network/networkSecurityGroups/${word}-${env}-${suffix}`,
        `${word}-${env}-${suffix}`,
      );
    case "AzureWebApp":
      return resource(`/subscriptions/${accountId}/resourceGroups/${rg}/providers/Microsoft.Web/sites/${name}`);
    case "AzureKubernetesCluster":
      return resource(`/subscriptions/${accountId}/resourceGroups/${rg}/providers/Microsoft.ContainerService/managedClusters/${name}`);
    case "AzureVirtualMachine":
      return resource(`/subscriptions/${accountId}/resourceGroups/${rg}/providers/Microsoft.Compute/virtualMachines/${name}`);
    case "AzureCosmosDbAccount":
      return resource(`/subscriptions/${accountId}/resourceGroups/${rg}/providers/Microsoft.DocumentDB/databaseAccounts/${name}`);
    case "ServiceAccount":
    case "ServiceAccountKey": {
      const email = `${word}-${suffix}@${accountId}.iam.gserviceaccount.com`;
      const uid = `projects/${accountId}/serviceAccounts/${email}`;
      return resourceType === "ServiceAccount" ? resource(uid, email) : resource(`${uid}/keys/${rng.hex(40)}`, email);
    }
    case "FirewallRule":
      return resource(`projects/${accountId}/global/firewalls/${word}-${env}-${suffix}`, `${word}-${env}-${suffix}`);
    case "VMInstance":
      return resource(`projects/${accountId}/zones/${gcpZone(region, index)}/instances/${name}`);
    case "Bucket":
      return resource(`projects/_/buckets/${name}`);
    case "DatabaseInstance":
      return resource(`projects/${accountId}/instances/${name}`);
    case "CryptoKey":
      return resource(`projects/${accountId}/locations/${region}/keyRings/${org}-${env}/cryptoKeys/${word}-${suffix}`, `${word}-${suffix}`);
    case "Dataset":
      return resource(`projects/${accountId}/datasets/${word}_${env}_${suffix}`, `${word}_${env}_${suffix}`);
    case "ManagedZone":
      return resource(`projects/${accountId}/managedZones/${word}-${suffix}`, `${word}-${suffix}`);
    case "Cluster":
      return resource(`projects/${accountId}/locations/${region}/clusters/${name}`);
    default:
      return resource(`${provider}:${accountId}:${resourceType}/${name}`);
  }
}
