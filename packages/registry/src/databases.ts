import type { CollectionDefinition, DatabaseDefinition, IndexDefinition, LegacyCollectionDefinition } from "./definitions";

type IndexKey = IndexDefinition["key"];

function index(name: string, key: IndexKey, options: Omit<IndexDefinition, "name" | "key"> = {}): IndexDefinition {
  return { name, key, ...options };
}

/** A tenant-owned collection: documents carry `team_id` and every index leads with it. */
function tenant(name: string, purpose: string, indexes: IndexDefinition[]): CollectionDefinition {
  return { name, purpose, tenantOwned: true, indexes };
}

/** A collection shared by all tenants (catalogues, platform bookkeeping). */
function shared(name: string, purpose: string, indexes: IndexDefinition[]): CollectionDefinition {
  return { name, purpose, tenantOwned: false, indexes };
}

/**
 * The 14 databases, in registry order. This table is the only place a database or collection
 * name is written down; everything else derives from it.
 */
export const DATABASES = [
  {
    key: "PLATFORM",
    name: "cspm_platform",
    alias: "core",
    purpose: "Platform settings, teams, users, sessions, API keys, roles, audit logs and migration bookkeeping.",
    collections: [
      shared("teams", "Tenants of the platform.", [index("slug_unique", { slug: 1 }, { unique: true })]),
      tenant("users", "Users of a team.", [index("team_email_unique", { team_id: 1, email: 1 }, { unique: true })]),
      tenant("sessions", "Login sessions; expire by TTL.", [
        index("team_user", { team_id: 1, user_id: 1 }),
        index("token_hash_unique", { token_hash: 1 }, { unique: true }),
        index("expires_at_ttl", { expires_at: 1 }, { expireAfterSeconds: 0 }),
      ]),
      tenant("api_keys", "API keys of a team: only the SHA-256 of the secret, a visible prefix, role, expiry, revocation.", [
        index("key_hash_unique", { key_hash: 1 }, { unique: true }),
        index("team_created", { team_id: 1, created_at: -1 }),
      ]),
      tenant("roles", "Custom roles of a team: a name and a permission set (built-in roles are code).", [
        index("team_name_unique", { team_id: 1, name: 1 }, { unique: true }),
      ]),
      tenant("audit_logs", "Who did what, when.", [
        index("team_created", { team_id: 1, created_at: -1 }),
        index("team_action_created", { team_id: 1, action: 1, created_at: -1 }),
        index("team_id_desc", { team_id: 1, _id: -1 }),
        index("team_action_id", { team_id: 1, action: 1, _id: -1 }),
        index("team_actor_id", { team_id: 1, "actor.id": 1, _id: -1 }),
      ]),
      shared("audit_outbox", "Audit entries of non-transactional mutations, written before the change and moved to audit_logs after it.", [
        index("created_at", { created_at: 1 }),
      ]),
      tenant("settings", "Per-team settings by key.", [index("team_key_unique", { team_id: 1, key: 1 }, { unique: true })]),
      {
        ...shared("migration_ledger", "Applied migrations: id, checksum, outcome.", [index("id_unique", { id: 1 }, { unique: true })]),
        managedBy: "@cspm/migrations",
      },
      {
        ...shared("migration_locks", "The migration runner's lease lock (one document per lock, keyed by _id).", []),
        managedBy: "@cspm/migrations",
      },
    ],
  },
  {
    key: "CLOUD_SECURITY",
    name: "cspm_cloud_security",
    alias: "cloud_security",
    purpose: "Cloud accounts (consolidated), Prowler findings and security scores.",
    collections: [
      tenant("enhanced_cloud_accounts", "Every cloud account of a team; the single source of truth.", [
        index("team_provider_account_unique", { team_id: 1, provider: 1, account_id: 1 }, { unique: true }),
        index("team_status", { team_id: 1, status: 1 }),
        index("team_tags", { team_id: 1, tags: 1 }),
      ]),
      tenant("prowler_findings", "Prowler check results, one per team/account/check/resource/region.", [
        index("finding_identity_unique", { team_id: 1, account_id: 1, check_id: 1, resource_uid: 1, region: 1 }, { unique: true }),
        index("team_muted_last_seen", { team_id: 1, muted: 1, last_seen_at: -1 }),
        // Posture trends: findings first seen (new, open failing per day) and resolved per day of a window.
        index("team_muted_first_seen", { team_id: 1, muted: 1, first_seen_at: 1 }),
        index("team_muted_resolved", { team_id: 1, muted: 1, resolved_at: 1 }),
        index("team_account_status_severity", { team_id: 1, account_id: 1, status: 1, severity: 1 }),
        index("team_scan", { team_id: 1, scan_id: 1 }),
        // The resolve sweep of a complete, full scan: one account's (and source's) findings by last sighting.
        index("team_account_source_seen", { team_id: 1, account_id: 1, source: 1, last_seen_at: 1 }),
        index(
          "team_resolved_by_scan",
          { team_id: 1, resolved_by_scan: 1 },
          { partialFilterExpression: { resolved_by_scan: { $exists: true } } },
        ),
        // The finding list (FindingQueryService): one keyset index per sort (team, sort key, _id), and the
        // filters most lists pin by equality ahead of the sort key; see the query-shape table in the services README.
        index("team_severity_rank_id", { team_id: 1, severity_rank: -1, _id: -1 }),
        index("team_last_seen_id", { team_id: 1, last_seen_at: -1, _id: -1 }),
        index("team_first_seen_id", { team_id: 1, first_seen_at: -1, _id: -1 }),
        index("team_check_id", { team_id: 1, check_id: 1, _id: 1 }),
        index("team_status_severity_rank_id", { team_id: 1, status: 1, severity_rank: -1, _id: -1 }),
        index("team_muted_status_severity_rank_id", { team_id: 1, muted: 1, status: 1, severity_rank: -1, _id: -1 }),
        index("team_account_last_seen_id", { team_id: 1, account_id: 1, last_seen_at: -1, _id: -1 }),
        index("team_state_last_seen_id", { team_id: 1, state: 1, last_seen_at: -1, _id: -1 }),
        index("team_framework_severity_rank_id", { team_id: 1, "compliance.framework": 1, severity_rank: -1, _id: -1 }),
        index("team_resource_uid_id", { team_id: 1, resource_uid: 1, _id: 1 }),
        index("team_search_terms", { team_id: 1, search_terms: 1 }),
        // Mute rules: release of one rule's findings.
        index("team_muted_by_rule", { team_id: 1, muted_by_rule: 1 }),
      ]),
      tenant("mute_rules", "Mute rules of a team: findings matching their criteria are muted while enabled.", [
        index("team_enabled_id", { team_id: 1, enabled: 1, _id: 1 }),
        index("team_id_desc", { team_id: 1, _id: -1 }),
      ]),
      tenant(
        "finding_rollups",
        "Counters of a team's unmuted findings per account, provider, UTC day (of last sighting; of first sighting or resolution for the trend dimensions), open/resolved and dimension (severity, service, region, check, framework, first_seen, resolved); rebuilt per account from prowler_findings.",
        [
          index("team_account_row_unique", { team_id: 1, account_id: 1, row_key: 1 }, { unique: true }),
          // The dashboard of all accounts (team-wide rows and the accounts' `all` rows), of some accounts.
          index("team_view_day", { team_id: 1, team_view: 1, day: 1 }),
          index("team_account_day", { team_id: 1, account_id: 1, day: 1 }),
          // The posture overviews: every account's `all` rows; service/region rows team-wide or of some accounts.
          index("team_open_dimension", { team_id: 1, open: 1, dimension: 1 }),
          index("team_account_open_dimension", { team_id: 1, account_id: 1, open: 1, dimension: 1 }),
          // The trends: the team-wide first_seen and resolved rows of a range of days.
          index("team_account_dimension_day", { team_id: 1, account_id: 1, dimension: 1, day: 1 }),
        ],
      ),
      tenant(
        "finding_facet_cells",
        "Counts of a team's findings (muted and resolved included) per account and every value the finding explorer facets by (provider, service, region, check, severity, status, delta, state, muted), with their compliance entries per framework; rebuilt per account from prowler_findings with the finding rollups.",
        [
          index("team_account_row_unique", { team_id: 1, account_id: 1, row_key: 1 }, { unique: true }),
          // Facets under a check filter without an account filter.
          index("team_check", { team_id: 1, check_id: 1 }),
          // The explorer's drill-downs: status and severity, of one account or team-wide.
          index("team_account_status_severity", { team_id: 1, account_id: 1, status: 1, severity: 1 }),
          index("team_status_severity", { team_id: 1, status: 1, severity: 1 }),
        ],
      ),
      tenant("finding_rollup_marks", "Accounts whose finding rollups are stale: every write of prowler_findings marks them first.", [
        index("team_account_unique", { team_id: 1, account_id: 1 }, { unique: true }),
      ]),
      tenant("security_scores", "Posture scores per account over time.", [
        index("team_account_computed", { team_id: 1, account_id: 1, computed_at: -1 }),
      ]),
    ],
  },
  {
    key: "SECURITY_SCANS",
    name: "cspm_native_scans",
    alias: "native_scans",
    purpose: "Persistent storage for Nuclei, SSL and header scans.",
    collections: [
      tenant("nuclei_scans", "Nuclei template matches per target (one per match identity across scans when imported).", [
        index("team_target_scanned", { team_id: 1, target: 1, scanned_at: -1 }),
        index(
          "match_identity_unique",
          { team_id: 1, target: 1, match_key: 1 },
          { unique: true, partialFilterExpression: { match_key: { $exists: true } } },
        ),
        index("team_scan", { team_id: 1, scan_id: 1 }),
      ]),
      tenant("ssl_scans", "TLS certificate and protocol checks per host and scan.", [
        index("team_target_scanned", { team_id: 1, target: 1, scanned_at: -1 }),
        index(
          "target_port_scan_unique",
          { team_id: 1, target: 1, port: 1, scan_id: 1 },
          { unique: true, partialFilterExpression: { scan_id: { $exists: true } } },
        ),
      ]),
      tenant("header_scans", "HTTP security header checks per URL and scan.", [
        index("team_target_scanned", { team_id: 1, target: 1, scanned_at: -1 }),
        index(
          "target_scan_unique",
          { team_id: 1, target: 1, scan_id: 1 },
          { unique: true, partialFilterExpression: { scan_id: { $exists: true } } },
        ),
      ]),
    ],
  },
  {
    key: "ORCHESTRATION",
    name: "cspm_orchestration",
    alias: "orchestration",
    purpose: "Scan runs, jobs and sub-job lifecycle state.",
    collections: [
      tenant("scan_runs", "One scan of one account.", [
        index("team_account_started", { team_id: 1, account_id: 1, started_at: -1 }),
        index("team_status_created", { team_id: 1, status: 1, created_at: -1 }),
        // Keyset pages of a team's runs, newest first.
        index("team_created", { team_id: 1, created_at: -1, _id: -1 }),
      ]),
      tenant("jobs", "Units of work claimed by workers.", [
        index("team_status_priority", { team_id: 1, status: 1, priority: -1, created_at: 1 }),
        index("team_scan_run", { team_id: 1, scan_run_id: 1 }),
      ]),
      tenant("sub_jobs", "Steps of a job.", [
        index("team_job", { team_id: 1, job_id: 1 }),
        index("team_status", { team_id: 1, status: 1 }),
      ]),
    ],
  },
  {
    key: "VULNERABILITIES",
    name: "cspm_vulnerabilities",
    alias: "vulnerabilities",
    purpose: "Vulnerability occurrences (UVM), catalog and SLA policies.",
    collections: [
      tenant("vulnerability_occurrences", "A vulnerability found on one asset component.", [
        index(
          "occurrence_identity_unique",
          { team_id: 1, cve_id: 1, asset_id: 1, component_name: 1, component_version: 1 },
          { unique: true },
        ),
        index("team_status_severity", { team_id: 1, status: 1, severity: 1 }),
        index("team_sla_expires", { team_id: 1, sla_expires_at: 1 }),
        index("team_asset", { team_id: 1, asset_id: 1 }),
        // Keyset pages of occurrences, oldest first (the SLA clock runs from first_seen_at).
        index("team_first_seen", { team_id: 1, first_seen_at: 1, _id: 1 }),
      ]),
      shared("vulnerability_catalog", "CVE catalogue shared by all teams.", [
        index("cve_unique", { cve_id: 1 }, { unique: true }),
        index("known_exploited", { known_exploited: 1 }),
      ]),
      tenant("sla_policies", "Days to remediate per severity.", [index("team_name_unique", { team_id: 1, name: 1 }, { unique: true })]),
    ],
  },
  {
    key: "AI_GOVERNANCE",
    name: "cspm_ai_governance",
    alias: "ai_governance",
    purpose: "AI models, risk assessments and EU AI Act compliance data.",
    collections: [
      tenant("ai_models", "The team's AI model inventory.", [
        index("team_name_model_version_unique", { team_id: 1, name: 1, model_version: 1 }, { unique: true }),
        index("team_risk_tier", { team_id: 1, risk_tier: 1 }),
        // Keyset pages of the inventory by name.
        index("team_name", { team_id: 1, name: 1, _id: 1 }),
      ]),
      tenant("ai_risk_assessments", "Risk assessments of AI models.", [
        index("team_model_assessed", { team_id: 1, model_id: 1, assessed_at: -1 }),
      ]),
      tenant("eu_ai_act_compliance", "EU AI Act obligations per model.", [
        index("team_model_unique", { team_id: 1, model_id: 1 }, { unique: true }),
      ]),
    ],
  },
  {
    key: "ASSESSMENTS",
    name: "cspm_assessments",
    alias: "assessments",
    purpose: "Global assessments and the evidence collected for them.",
    collections: [
      tenant("global_assessments", "Periodic compliance and risk assessments.", [
        index("team_status_created", { team_id: 1, status: 1, created_at: -1 }),
        index("team_due_date", { team_id: 1, due_date: 1 }),
      ]),
      tenant("assessment_evidence", "Evidence per assessment and source; replaced on re-collection.", [
        index("team_assessment_source_unique", { team_id: 1, assessment_id: 1, source: 1 }, { unique: true }),
      ]),
    ],
  },
  {
    key: "RISK_MANAGEMENT",
    name: "cspm_risk_management",
    alias: "risk_management",
    purpose: "Risk register and risk treatments.",
    collections: [
      tenant("risks", "Identified risks with likelihood and impact.", [index("team_status_score", { team_id: 1, status: 1, score: -1 })]),
      tenant("risk_treatments", "Treatment plans of risks.", [index("team_risk", { team_id: 1, risk_id: 1 })]),
    ],
  },
  {
    key: "COMPLIANCE",
    name: "cspm_compliance",
    alias: "compliance",
    purpose: "Compliance frameworks, their controls and check-to-control mappings.",
    collections: [
      shared("frameworks", "Compliance frameworks (CIS, SOC 2, ISO 27001 …).", [
        index("framework_unique", { framework_id: 1 }, { unique: true }),
        index("provider_compliance_key", { provider: 1, compliance_key: 1 }),
      ]),
      shared("controls", "Controls of each framework.", [
        index("framework_control_unique", { framework_id: 1, control_id: 1 }, { unique: true }),
      ]),
      shared("control_mappings", "Which checks evidence which control.", [
        index("framework_control_check_unique", { framework_id: 1, control_id: 1, check_id: 1 }, { unique: true }),
        index("check", { check_id: 1 }),
      ]),
    ],
  },
  {
    key: "INVENTORY",
    name: "cspm_inventory",
    alias: "inventory",
    purpose: "Cloud resource inventory and relationships between resources.",
    collections: [
      tenant("cloud_resources", "Resources discovered in cloud accounts.", [
        index("team_account_resource_unique", { team_id: 1, account_id: 1, resource_uid: 1 }, { unique: true }),
        index("team_type", { team_id: 1, resource_type: 1 }),
      ]),
      tenant("resource_relationships", "Edges between resources.", [
        index("team_edge_unique", { team_id: 1, source_uid: 1, target_uid: 1, relationship: 1 }, { unique: true }),
      ]),
    ],
  },
  {
    key: "REMEDIATION",
    name: "cspm_remediation",
    alias: "remediation",
    purpose: "Remediation tasks and accepted exceptions.",
    collections: [
      tenant("remediation_tasks", "Work items that fix findings.", [
        index("team_status_due", { team_id: 1, status: 1, due_at: 1 }),
        index("team_finding", { team_id: 1, finding_id: 1 }),
        index("team_assignee_status_due", { team_id: 1, assignee: 1, status: 1, due_at: 1 }),
      ]),
      tenant("exceptions", "Accepted risks that mute a check on a resource until they expire.", [
        index("team_check_resource", { team_id: 1, check_id: 1, resource_uid: 1 }),
      ]),
    ],
  },
  {
    key: "REPORTING",
    name: "cspm_reporting",
    alias: "reporting",
    purpose: "Generated reports and report schedules.",
    collections: [
      tenant("reports", "Generated reports.", [index("team_created", { team_id: 1, created_at: -1 })]),
      tenant("report_schedules", "When reports are generated.", [index("team_next_run", { team_id: 1, next_run_at: 1 })]),
    ],
  },
  {
    key: "NOTIFICATIONS",
    name: "cspm_notifications",
    alias: "notifications",
    purpose: "Notification channels, alerts and their deliveries.",
    collections: [
      tenant("channels", "Where alerts go (email, Slack, webhook).", [
        index("team_name_unique", { team_id: 1, name: 1 }, { unique: true }),
      ]),
      tenant("alerts", "Raised alerts.", [
        index("team_created", { team_id: 1, created_at: -1 }),
        index("team_status", { team_id: 1, status: 1 }),
        index("team_fingerprint_status", { team_id: 1, fingerprint: 1, status: 1 }),
      ]),
      tenant("deliveries", "One alert sent to one channel.", [
        index("team_alert_channel_unique", { team_id: 1, alert_id: 1, channel_id: 1 }, { unique: true }),
      ]),
    ],
  },
  {
    key: "INTEGRATIONS",
    name: "cspm_integrations",
    alias: "integrations",
    purpose: "Connectors to external tools and outgoing webhooks.",
    collections: [
      tenant("connectors", "Configured connectors (Jira, ServiceNow …).", [
        index("team_type_name_unique", { team_id: 1, type: 1, name: 1 }, { unique: true }),
      ]),
      tenant("webhooks", "Outgoing webhooks per event.", [index("team_event", { team_id: 1, event: 1 })]),
    ],
  },
] as const satisfies readonly DatabaseDefinition[];

/** A registry constant such as `"PLATFORM"` or `"CLOUD_SECURITY"`. */
export type DatabaseKey = (typeof DATABASES)[number]["key"];

/** A database alias such as `"core"` or `"native_scans"`. */
export type DatabaseAlias = (typeof DATABASES)[number]["alias"];

/** A physical database name such as `"cspm_platform"` (without environment prefix). */
export type DatabaseName = (typeof DATABASES)[number]["name"];

/** The collections owned by the database with key `K`. */
export type CollectionName<K extends DatabaseKey = DatabaseKey> = Extract<
  (typeof DATABASES)[number],
  { key: K }
>["collections"][number]["name"];

/** Collection names production code must not use. */
export const LEGACY_COLLECTIONS: readonly LegacyCollectionDefinition[] = [
  {
    name: "cloud_accounts",
    database: "cspm_cloud_security",
    replacement: "enhanced_cloud_accounts",
    reason: "Cloud accounts were consolidated into enhanced_cloud_accounts; migrate with @cspm/migrations.",
  },
];
