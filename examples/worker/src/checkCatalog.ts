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
  /** Compliance keys (`CIS-AWS-2.0`, `SOC2` …) to control ids, as Prowler reports them. */
  readonly compliance: Readonly<Record<string, readonly string[]>>;
  /** A check Prowler cannot decide automatically: reported as `MANUAL`. */
  readonly manual?: boolean;
}

/** A compliance framework the catalog's checks map to, with the titles of the controls they use. */
export interface CatalogFramework {
  /** The key findings carry in `compliance` (`CIS-AWS-2.0`). */
  readonly key: string;
  /** The `frameworks.framework_id` the demo seed stores (`cis_aws_2.0`). */
  readonly frameworkId: string;
  readonly name: string;
  readonly version: string;
  readonly provider: CatalogProvider | "generic";
  readonly description: string;
  readonly controls: Readonly<Record<string, string>>;
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
    { "CIS-AWS-2.0": ["1.5"], SOC2: ["cc_6_1"], "ISO27001-2013": ["A.9.4.2"] },
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
    { "CIS-AWS-2.0": ["1.6"], SOC2: ["cc_6_1"] },
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
    { "CIS-AWS-2.0": ["1.4"], SOC2: ["cc_6_1"], "ISO27001-2013": ["A.9.2.3"] },
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
    { "CIS-AWS-2.0": ["1.7"], "ISO27001-2013": ["A.9.2.3"] },
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
    { "CIS-AWS-2.0": ["1.8"], "ISO27001-2013": ["A.9.4.3"] },
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
    { "CIS-AWS-2.0": ["1.10"], SOC2: ["cc_6_1"], "ISO27001-2013": ["A.9.4.2"] },
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
    { "CIS-AWS-2.0": ["1.12"], "ISO27001-2013": ["A.9.2.3"] },
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
    { "CIS-AWS-2.0": ["1.14"], SOC2: ["cc_6_1"] },
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
    { "CIS-AWS-2.0": ["1.16"], SOC2: ["cc_6_3"], "ISO27001-2013": ["A.9.2.3"] },
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
    { "CIS-AWS-2.0": ["1.17"] },
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
    { "CIS-AWS-2.0": ["1.20"] },
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
    { "CIS-AWS-2.0": ["2.1.1"], SOC2: ["cc_6_7"], "ISO27001-2013": ["A.13.2.1"] },
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
    { "CIS-AWS-2.0": ["2.1.2"] },
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
    { "CIS-AWS-2.0": ["2.1.4"], SOC2: ["cc_6_1"], "ISO27001-2013": ["A.13.1.3"] },
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
    { "CIS-AWS-2.0": ["2.1.4"], SOC2: ["cc_6_1"], "ISO27001-2013": ["A.13.1.3"] },
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
    { SOC2: ["cc_6_7"], "ISO27001-2013": ["A.10.1.1"] },
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
    { "CIS-AWS-2.0": ["3.6"], SOC2: ["cc_7_2"], "ISO27001-2013": ["A.12.4.1"] },
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
    { "CIS-AWS-2.0": ["2.2.1"], "ISO27001-2013": ["A.10.1.1"] },
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
    { SOC2: ["cc_6_7"], "ISO27001-2013": ["A.10.1.1"] },
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
    { SOC2: ["cc_6_1"], "ISO27001-2013": ["A.13.1.3"] },
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
    { "CIS-AWS-2.0": ["5.6"] },
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
    { SOC2: ["cc_6_6"], "ISO27001-2013": ["A.13.1.1"] },
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
    { "CIS-AWS-2.0": ["5.2"], SOC2: ["cc_6_6"], "ISO27001-2013": ["A.13.1.1"] },
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
    { "CIS-AWS-2.0": ["5.2"], SOC2: ["cc_6_6"], "ISO27001-2013": ["A.13.1.1"] },
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
    { "CIS-AWS-2.0": ["5.4"], "ISO27001-2013": ["A.13.1.1"] },
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
    { "CIS-AWS-2.0": ["5.1"], "ISO27001-2013": ["A.13.1.1"] },
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
    { "CIS-AWS-2.0": ["3.9"], SOC2: ["cc_7_2"], "ISO27001-2013": ["A.12.4.1"] },
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
    { "CIS-AWS-2.0": ["3.1"], SOC2: ["cc_7_2"], "ISO27001-2013": ["A.12.4.1"] },
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
    { "CIS-AWS-2.0": ["3.2"], "ISO27001-2013": ["A.12.4.2"] },
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
    { "CIS-AWS-2.0": ["3.7"], "ISO27001-2013": ["A.10.1.1"] },
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
    { "CIS-AWS-2.0": ["3.5"], SOC2: ["cc_7_1"] },
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
    { SOC2: ["cc_7_2"], "ISO27001-2013": ["A.12.6.1"] },
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
    { SOC2: ["cc_7_2"] },
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
    { "CIS-AWS-2.0": ["3.8"], "ISO27001-2013": ["A.10.1.2"] },
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
    { "CIS-AWS-2.0": ["2.3.1"], SOC2: ["cc_6_7"], "ISO27001-2013": ["A.10.1.1"] },
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
    { "CIS-AWS-2.0": ["2.3.3"], SOC2: ["cc_6_6"], "ISO27001-2013": ["A.13.1.3"] },
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
    { "CIS-AWS-2.0": ["2.3.2"], "ISO27001-2013": ["A.12.6.1"] },
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
    { SOC2: ["cc_7_5"], "ISO27001-2013": ["A.12.3.1"] },
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
    { SOC2: ["cc_6_1"], "ISO27001-2013": ["A.9.4.3"] },
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
    { SOC2: ["cc_6_6"] },
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
    { SOC2: ["cc_6_6"], "ISO27001-2013": ["A.13.1.1"] },
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
    { SOC2: ["cc_7_2"], "ISO27001-2013": ["A.12.4.1"] },
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
    { SOC2: ["cc_6_7"], "ISO27001-2013": ["A.13.2.1"] },
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
    { "CIS-AWS-2.0": ["4.3"], SOC2: ["cc_7_2"] },
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
    { "CIS-Azure-2.0": ["2.1.1"], SOC2: ["cc_7_2"] },
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
    { "CIS-Azure-2.0": ["2.1.7"], SOC2: ["cc_7_2"] },
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
    { "CIS-Azure-2.0": ["2.1.5"] },
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
    { "CIS-Azure-2.0": ["2.1.20"], SOC2: ["cc_7_3"] },
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
    { "CIS-Azure-2.0": ["1.23"], SOC2: ["cc_6_3"], "ISO27001-2013": ["A.9.2.3"] },
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
    { "CIS-Azure-2.0": ["3.1"], SOC2: ["cc_6_7"], "ISO27001-2013": ["A.13.2.1"] },
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
    { "CIS-Azure-2.0": ["3.7"], SOC2: ["cc_6_1"], "ISO27001-2013": ["A.13.1.3"] },
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
    { "CIS-Azure-2.0": ["3.8"], SOC2: ["cc_6_6"], "ISO27001-2013": ["A.13.1.1"] },
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
    { "CIS-Azure-2.0": ["3.15"], SOC2: ["cc_6_7"], "ISO27001-2013": ["A.13.2.1"] },
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
    { "CIS-Azure-2.0": ["3.11"], "ISO27001-2013": ["A.12.3.1"] },
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
    { "CIS-Azure-2.0": ["4.1.1"], SOC2: ["cc_7_2"], "ISO27001-2013": ["A.12.4.1"] },
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
    { "CIS-Azure-2.0": ["4.1.5"], "ISO27001-2013": ["A.10.1.1"] },
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
    { "CIS-Azure-2.0": ["4.1.2"], SOC2: ["cc_6_6"], "ISO27001-2013": ["A.13.1.1"] },
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
    { "CIS-Azure-2.0": ["4.1.4"], SOC2: ["cc_6_1"] },
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
    { "CIS-Azure-2.0": ["8.2"], "ISO27001-2013": ["A.10.1.2"] },
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
    { "CIS-Azure-2.0": ["8.5"], "ISO27001-2013": ["A.12.3.1"] },
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
    { "CIS-Azure-2.0": ["8.6"], SOC2: ["cc_6_3"] },
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
    { "CIS-Azure-2.0": ["6.2"], SOC2: ["cc_6_6"], "ISO27001-2013": ["A.13.1.1"] },
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
    { "CIS-Azure-2.0": ["6.1"], SOC2: ["cc_6_6"], "ISO27001-2013": ["A.13.1.1"] },
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
    { "CIS-Azure-2.0": ["6.6"], SOC2: ["cc_7_2"] },
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
    { "CIS-Azure-2.0": ["9.2"], SOC2: ["cc_6_7"], "ISO27001-2013": ["A.13.2.1"] },
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
    { "CIS-Azure-2.0": ["9.3"], SOC2: ["cc_6_7"] },
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
    { SOC2: ["cc_7_2"] },
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
    { SOC2: ["cc_7_2"] },
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
    { "CIS-Azure-2.0": ["7.3"], "ISO27001-2013": ["A.10.1.1"] },
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
    { "CIS-Azure-2.0": ["5.1.1"], SOC2: ["cc_7_2"], "ISO27001-2013": ["A.12.4.1"] },
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
    { "CIS-Azure-2.0": ["4.5.1"], SOC2: ["cc_6_6"] },
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
    { "CIS-GCP-2.0": ["1.5"], SOC2: ["cc_6_3"], "ISO27001-2013": ["A.9.2.3"] },
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
    { "CIS-GCP-2.0": ["1.7"], "ISO27001-2013": ["A.10.1.2"] },
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
    { "CIS-GCP-2.0": ["1.6"], SOC2: ["cc_6_3"] },
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
    { "CIS-GCP-2.0": ["1.11"] },
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
    { "CIS-GCP-2.0": ["3.6"], SOC2: ["cc_6_6"], "ISO27001-2013": ["A.13.1.1"] },
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
    { "CIS-GCP-2.0": ["3.7"], SOC2: ["cc_6_6"], "ISO27001-2013": ["A.13.1.1"] },
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
    { "CIS-GCP-2.0": ["3.1"] },
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
    { "CIS-GCP-2.0": ["4.9"], SOC2: ["cc_6_6"], "ISO27001-2013": ["A.13.1.1"] },
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
    { "CIS-GCP-2.0": ["4.8"] },
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
    { "CIS-GCP-2.0": ["4.5"] },
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
    { "CIS-GCP-2.0": ["4.2"], SOC2: ["cc_6_3"] },
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
    { "CIS-GCP-2.0": ["4.4"], SOC2: ["cc_6_1"] },
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
    { "CIS-GCP-2.0": ["5.1"], SOC2: ["cc_6_1"], "ISO27001-2013": ["A.13.1.3"] },
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
    { "CIS-GCP-2.0": ["5.2"], SOC2: ["cc_6_1"] },
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
    { "CIS-GCP-2.0": ["2.3"], "ISO27001-2013": ["A.12.4.2"] },
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
    { "CIS-GCP-2.0": ["6.5"], SOC2: ["cc_6_6"], "ISO27001-2013": ["A.13.1.3"] },
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
    { "CIS-GCP-2.0": ["6.4"], SOC2: ["cc_6_7"], "ISO27001-2013": ["A.13.2.1"] },
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
    { "CIS-GCP-2.0": ["6.6"], SOC2: ["cc_6_6"] },
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
    { "CIS-GCP-2.0": ["6.7"], SOC2: ["cc_7_5"], "ISO27001-2013": ["A.12.3.1"] },
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
    { "CIS-GCP-2.0": ["1.10"], "ISO27001-2013": ["A.10.1.2"] },
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
    { "CIS-GCP-2.0": ["2.2"], SOC2: ["cc_7_2"], "ISO27001-2013": ["A.12.4.1"] },
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
    { "CIS-GCP-2.0": ["7.1"], SOC2: ["cc_6_1"], "ISO27001-2013": ["A.13.1.3"] },
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
    { "CIS-GCP-2.0": ["7.3"], "ISO27001-2013": ["A.10.1.1"] },
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
    { "CIS-GCP-2.0": ["3.3"] },
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
    { SOC2: ["cc_6_3"] },
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

/** The frameworks the catalog's compliance keys belong to, with every control a check maps to. */
export const CATALOG_FRAMEWORKS: readonly CatalogFramework[] = [
  {
    key: "CIS-AWS-2.0",
    frameworkId: "cis_aws_2.0",
    name: "CIS Amazon Web Services Foundations Benchmark",
    version: "2.0.0",
    provider: "aws",
    description: "Prescriptive guidance for configuring security options for a subset of Amazon Web Services.",
    controls: {
      "1.4": "Ensure no 'root' user account access key exists",
      "1.5": "Ensure MFA is enabled for the 'root' user account",
      "1.6": "Ensure hardware MFA is enabled for the 'root' user account",
      "1.7": "Eliminate use of the 'root' user for administrative and daily tasks",
      "1.8": "Ensure IAM password policy requires minimum length of 14 or greater",
      "1.10": "Ensure multi-factor authentication (MFA) is enabled for all IAM users that have a console password",
      "1.12": "Ensure credentials unused for 45 days or greater are disabled",
      "1.14": "Ensure access keys are rotated every 90 days or less",
      "1.16": 'Ensure IAM policies that allow full "*:*" administrative privileges are not attached',
      "1.17": "Ensure a support role has been created to manage incidents with AWS Support",
      "1.20": "Ensure that IAM Access analyzer is enabled for all regions",
      "2.1.1": "Ensure S3 Bucket Policy is set to deny HTTP requests",
      "2.1.2": "Ensure MFA Delete is enabled on S3 buckets",
      "2.1.4": "Ensure that S3 Buckets are configured with 'Block public access (bucket settings)'",
      "2.2.1": "Ensure EBS Volume Encryption is Enabled in all Regions",
      "2.3.1": "Ensure that encryption-at-rest is enabled for RDS Instances",
      "2.3.2": "Ensure Auto Minor Version Upgrade feature is Enabled for RDS Instances",
      "2.3.3": "Ensure that public access is not given to RDS Instance",
      "3.1": "Ensure CloudTrail is enabled in all regions",
      "3.2": "Ensure CloudTrail log file validation is enabled",
      "3.5": "Ensure AWS Config is enabled in all regions",
      "3.6": "Ensure S3 bucket access logging is enabled on the CloudTrail S3 bucket",
      "3.7": "Ensure CloudTrail logs are encrypted at rest using KMS CMKs",
      "3.8": "Ensure rotation for customer-created symmetric CMKs is enabled",
      "3.9": "Ensure VPC flow logging is enabled in all VPCs",
      "4.3": "Ensure a log metric filter and alarm exist for usage of 'root' account",
      "5.1": "Ensure no Network ACLs allow ingress from 0.0.0.0/0 to remote server administration ports",
      "5.2": "Ensure no security groups allow ingress from 0.0.0.0/0 to remote server administration ports",
      "5.4": "Ensure the default security group of every VPC restricts all traffic",
      "5.6": "Ensure that EC2 Metadata Service only allows IMDSv2",
    },
  },
  {
    key: "CIS-Azure-2.0",
    frameworkId: "cis_azure_2.0",
    name: "CIS Microsoft Azure Foundations Benchmark",
    version: "2.0.0",
    provider: "azure",
    description: "Prescriptive guidance for establishing a secure baseline configuration for Microsoft Azure.",
    controls: {
      "1.23": "Ensure That No Custom Subscription Administrator Roles Exist",
      "2.1.1": "Ensure That Microsoft Defender for Servers Is Set to 'On'",
      "2.1.5": "Ensure That Microsoft Defender for SQL Servers on Machines Is Set To 'On'",
      "2.1.7": "Ensure That Microsoft Defender for Storage Is Set To 'On'",
      "2.1.20": "Ensure That 'Notify about alerts with the following severity' is Set to 'High'",
      "3.1": "Ensure that 'Secure transfer required' is set to 'Enabled'",
      "3.7": "Ensure that 'Public access level' is disabled for storage accounts with blob containers",
      "3.8": "Ensure Default Network Access Rule for Storage Accounts is Set to Deny",
      "3.11": "Ensure Soft Delete is Enabled for Azure Containers and Blob Storage",
      "3.15": "Ensure the 'Minimum TLS version' for storage accounts is set to 'Version 1.2'",
      "4.1.1": "Ensure that 'Auditing' is set to 'On'",
      "4.1.2": "Ensure no Azure SQL Databases allow ingress from 0.0.0.0/0 (ANY IP)",
      "4.1.4": "Ensure that Microsoft Entra authentication is Configured for SQL Servers",
      "4.1.5": "Ensure that 'Data encryption' is set to 'On' on a SQL Database",
      "4.5.1": "Ensure That 'Firewalls & Networks' Is Limited to Use Selected Networks Instead of All Networks",
      "5.1.1": "Ensure that a 'Diagnostic Setting' exists for Subscription Activity Logs",
      "6.1": "Ensure that RDP access from the Internet is evaluated and restricted",
      "6.2": "Ensure that SSH access from the Internet is evaluated and restricted",
      "6.6": "Ensure that Network Watcher is 'Enabled'",
      "7.3": "Ensure that 'OS and Data' disks are encrypted with Customer Managed Key (CMK)",
      "8.2": "Ensure that the Expiration Date is set for all Keys in Non-RBAC Key Vaults",
      "8.5": "Ensure the Key Vault is Recoverable",
      "8.6": "Enable Role Based Access Control for Azure Key Vault",
      "9.2": "Ensure Web App Redirects All HTTP traffic to HTTPS in Azure App Service",
      "9.3": "Ensure Web App is using the latest version of TLS encryption",
    },
  },
  {
    key: "CIS-GCP-2.0",
    frameworkId: "cis_gcp_2.0",
    name: "CIS Google Cloud Platform Foundation Benchmark",
    version: "2.0.0",
    provider: "gcp",
    description: "Prescriptive guidance for configuring security options for a subset of Google Cloud Platform services.",
    controls: {
      "1.5": "Ensure That Service Account Has No Admin Privileges",
      "1.6": "Ensure That IAM Users Are Not Assigned the Service Account User or Service Account Token Creator Roles at Project Level",
      "1.7": "Ensure User-Managed/External Keys for Service Accounts Are Rotated Every 90 Days or Fewer",
      "1.10": "Ensure KMS Encryption Keys Are Rotated Within a Period of 90 Days",
      "1.11": "Ensure That Separation of Duties Is Enforced While Assigning KMS Related Roles to Users",
      "2.2": "Ensure That Sinks Are Configured for All Log Entries",
      "2.3": "Ensure That Retention Policies on Cloud Storage Buckets Used for Exporting Logs Are Configured Using Bucket Lock",
      "3.1": "Ensure That the Default Network Does Not Exist in a Project",
      "3.3": "Ensure That DNSSEC Is Enabled for Cloud DNS",
      "3.6": "Ensure That SSH Access Is Restricted From the Internet",
      "3.7": "Ensure That RDP Access Is Restricted From the Internet",
      "4.2": "Ensure That Instances Are Not Configured To Use the Default Service Account With Full Access to All Cloud APIs",
      "4.4": "Ensure Oslogin Is Enabled for a Project",
      "4.5": "Ensure 'Enable Connecting to Serial Ports' Is Not Enabled for VM Instance",
      "4.8": "Ensure Compute Instances Are Launched With Shielded VM Enabled",
      "4.9": "Ensure That Compute Instances Do Not Have Public IP Addresses",
      "5.1": "Ensure That Cloud Storage Bucket Is Not Anonymously or Publicly Accessible",
      "5.2": "Ensure That Cloud Storage Buckets Have Uniform Bucket-Level Access Enabled",
      "6.4": "Ensure That the Cloud SQL Database Instance Requires All Incoming Connections To Use SSL",
      "6.5": "Ensure That Cloud SQL Database Instances Do Not Implicitly Whitelist All Public IP Addresses",
      "6.6": "Ensure That Cloud SQL Database Instances Do Not Have Public IPs",
      "6.7": "Ensure That Cloud SQL Database Instances Are Configured With Automated Backups",
      "7.1": "Ensure That BigQuery Datasets Are Not Anonymously or Publicly Accessible",
      "7.2": "Ensure GKE Clusters Do Not Use the Compute Engine Default Service Account",
      "7.3": "Ensure That a Default Customer-Managed Encryption Key (CMEK) Is Specified for All BigQuery Data Sets",
    },
  },
  {
    key: "SOC2",
    frameworkId: "soc2",
    name: "SOC 2 Trust Services Criteria",
    version: "2017",
    provider: "generic",
    description: "AICPA Trust Services Criteria for security, availability, processing integrity, confidentiality and privacy.",
    controls: {
      cc_6_1: "CC6.1 Logical access security software, infrastructure and architectures",
      cc_6_3: "CC6.3 Role-based access and least privilege",
      cc_6_6: "CC6.6 Boundary protection against threats from outside the system",
      cc_6_7: "CC6.7 Restriction of the transmission, movement and removal of information",
      cc_7_1: "CC7.1 Detection of configuration changes that introduce vulnerabilities",
      cc_7_2: "CC7.2 Monitoring of system components for anomalies",
      cc_7_3: "CC7.3 Evaluation of security events",
      cc_7_5: "CC7.5 Recovery from identified security incidents",
    },
  },
  {
    key: "ISO27001-2013",
    frameworkId: "iso27001_2013",
    name: "ISO/IEC 27001:2013 Annex A",
    version: "2013",
    provider: "generic",
    description: "Information security controls of ISO/IEC 27001:2013 Annex A.",
    controls: {
      "A.9.2.3": "Management of privileged access rights",
      "A.9.4.2": "Secure log-on procedures",
      "A.9.4.3": "Password management system",
      "A.10.1.1": "Policy on the use of cryptographic controls",
      "A.10.1.2": "Key management",
      "A.12.3.1": "Information backup",
      "A.12.4.1": "Event logging",
      "A.12.4.2": "Protection of log information",
      "A.12.6.1": "Management of technical vulnerabilities",
      "A.13.1.1": "Network controls",
      "A.13.1.3": "Segregation in networks",
      "A.13.2.1": "Information transfer policies and procedures",
    },
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
