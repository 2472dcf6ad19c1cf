import { ERROR_CODES, ERROR_REASONS } from "@cspm/errors";
import { EVIDENCE_SOURCES } from "@cspm/services";
import { z } from "zod";

/*
 * The wire shapes of the API for its OpenAPI document: the one envelope around every body, keyset pages,
 * the error body with every code and reason, and the views the routes return. They describe the JSON a
 * client reads (dates are ISO-8601 strings); `openApi.integration.test.ts` holds every route's real answers
 * to them, so the document cannot drift from what the API sends.
 */

/** An ISO-8601 instant as the API writes dates. */
export const Instant = z.iso.datetime({ offset: true }).meta({ description: "ISO-8601 date-time (UTC)" });

/** `{ success: true, data }`. */
export function successEnvelope<D extends z.ZodType>(data: D) {
  return z.object({ success: z.literal(true), data, meta: z.record(z.string(), z.unknown()).optional() });
}

/** A keyset page: pass `next_cursor` back as `cursor` for the next one. */
export function pageOf<I extends z.ZodType>(item: I) {
  return z.object({
    items: z.array(item),
    next_cursor: z.string().nullable(),
    has_more: z.boolean(),
    count: z.int().min(0),
    limit: z.int().min(0),
    total: z.int().min(0).optional(),
  });
}

const codes = Object.keys(ERROR_CODES) as [keyof typeof ERROR_CODES, ...(keyof typeof ERROR_CODES)[]];
const reasons = Object.keys(ERROR_REASONS) as [keyof typeof ERROR_REASONS, ...(keyof typeof ERROR_REASONS)[]];

/** `{ success: false, error: { code, message, details? } }` — the body of every 4xx and 5xx. */
export const ErrorEnvelope = z
  .object({
    success: z.literal(false),
    error: z.object({
      code: z.enum(codes).meta({ description: "Stable error code; clients switch on it." }),
      message: z.string(),
      details: z
        .looseObject({
          reason: z.enum(reasons).optional().meta({ description: "Refines the code; stable like codes." }),
          issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
        })
        .optional(),
    }),
  })
  .meta({ id: "ErrorEnvelope" });

const ProviderAccount = z.string().meta({ description: "The provider's account id (AWS account, Azure subscription, GCP project …)" });

export const AccountView = z
  .looseObject({
    id: z.string(),
    team_id: z.string(),
    provider: z.string(),
    account_id: ProviderAccount,
    name: z.string(),
    status: z.string(),
    status_message: z.string().optional(),
    regions: z.array(z.string()),
    tags: z.array(z.object({ key: z.string(), value: z.string() })),
    has_credentials: z.boolean(),
    credentials_updated_at: Instant.optional(),
    last_scan_at: Instant.optional(),
    last_scan_status: z.string().optional(),
    version: z.int().optional(),
    created_at: Instant,
    updated_at: Instant,
  })
  .meta({ id: "CloudAccount" });

const StatusCounts = z.looseObject({ total: z.int(), passed: z.int(), failed: z.int() });
const Breakdown = z.looseObject({ key: z.string(), total: z.int(), passed: z.int(), failed: z.int() });

export const DashboardSummaryView = z
  .looseObject({
    team_id: z.string(),
    generated_at: Instant,
    window: z.object({ since: Instant, until: Instant }),
    account_ids: z.array(z.string()).nullable(),
    totals: z.looseObject({
      findings: z.int(),
      passed: z.int(),
      failed: z.int(),
      manual: z.int(),
      accounts: z.int(),
      checks: z.int(),
    }),
    pass_rate: z.number(),
    by_severity: z.record(z.string(), StatusCounts),
    by_status: z.looseObject({ PASS: z.int(), FAIL: z.int(), MANUAL: z.int() }),
    by_provider: z.array(Breakdown),
    by_service: z.array(Breakdown),
    by_region: z.array(Breakdown),
    by_account: z.array(
      z.looseObject({
        account_id: ProviderAccount,
        provider: z.string(),
        name: z.string().nullable(),
        pass_rate: z.number(),
        total: z.int(),
        passed: z.int(),
        failed: z.int(),
      }),
    ),
    top_failing_checks: z.array(
      z.looseObject({ check_id: z.string(), title: z.string(), severity: z.string(), failed: z.int(), accounts: z.int() }),
    ),
    compliance: z.array(z.looseObject({ framework: z.string(), passed: z.int(), failed: z.int(), pass_rate: z.number() })),
    daily_trend: z.array(
      z.looseObject({ date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/), total: z.int(), passed: z.int(), failed: z.int() }),
    ),
  })
  .meta({ id: "DashboardSummary" });

export const ScanActivityView = z
  .looseObject({
    team_id: z.string(),
    generated_at: Instant,
    window: z.object({ since: Instant, until: Instant }),
    totals: z.looseObject({}),
    by_scanner: z.array(z.looseObject({ scanner: z.string() })),
    by_account: z.array(z.looseObject({})),
    recent_runs: z.array(z.looseObject({})),
  })
  .meta({ id: "ScanActivity" });

export const AssessmentView = z
  .looseObject({
    id: z.string(),
    name: z.string(),
    status: z.string(),
    framework_ids: z.array(z.string()),
    frequency: z.string(),
    created_at: Instant,
  })
  .meta({ id: "Assessment" });

export const EvidenceView = z
  .array(
    z.looseObject({
      source: z.enum(EVIDENCE_SOURCES),
      collected_at: Instant,
      item_count: z.int().min(0),
      items: z.array(z.looseObject({})),
      summary: z.looseObject({}),
    }),
  )
  .meta({ id: "AssessmentEvidence", description: "The evidence of each source, as last collected" });

export const HealthView = z
  .looseObject({
    status: z.enum(["ok", "unavailable"]),
    mongodb: z.looseObject({ ok: z.boolean(), latencyMs: z.number() }),
    cache: z.looseObject({ ok: z.boolean(), kind: z.string() }),
  })
  .meta({ id: "Health" });

export const MeView = z
  .object({
    type: z.string(),
    id: z.string(),
    team_id: z.string(),
    via: z.string(),
    role: z.string(),
    label: z.string().optional(),
    permissions: z.array(z.string()),
  })
  .meta({ id: "Me" });

export const ApiKeyView = z
  .looseObject({
    id: z.string(),
    name: z.string(),
    prefix: z.string(),
    role: z.string(),
    scopes: z.array(z.string()).optional(),
    status: z.enum(["active", "expired", "revoked"]),
    created_at: Instant,
    expires_at: Instant.optional(),
    last_used_at: Instant.optional(),
    revoked_at: Instant.optional(),
  })
  .meta({ id: "ApiKey" });

export const CreatedApiKeyView = z
  .object({ key: ApiKeyView, token: z.string().meta({ description: "Send as Authorization: Bearer <token>. Shown once." }) })
  .meta({ id: "CreatedApiKey" });

export const MemberView = z
  .looseObject({
    id: z.string(),
    email: z.string(),
    name: z.string(),
    role: z.string(),
    status: z.enum(["active", "invited", "disabled"]),
    created_at: Instant,
    last_login_at: Instant.optional(),
  })
  .meta({ id: "Member" });

export const RoleView = z
  .looseObject({ name: z.string(), permissions: z.array(z.string()), built_in: z.boolean(), description: z.string().optional() })
  .meta({ id: "Role" });

const SessionView = z
  .looseObject({ id: z.string(), user_id: z.string(), created_at: Instant, expires_at: Instant, revoked_at: Instant.optional() })
  .meta({ id: "Session" });

export { SessionView };

export const CreatedSessionView = z
  .object({ session: SessionView, token: z.string().meta({ description: "The session token; shown once." }) })
  .meta({ id: "CreatedSession" });

export const AuditEntryView = z
  .looseObject({
    id: z.string(),
    actor: z.looseObject({ type: z.string(), id: z.string() }),
    action: z.string(),
    target: z.looseObject({ type: z.string() }),
    outcome: z.string(),
    error_code: z.string().optional(),
    request_id: z.string().optional(),
    changes: z.object({ fields: z.array(z.string()), sha256: z.string() }).optional(),
    occurred_at: Instant,
  })
  .meta({ id: "AuditEntry" });

const SeverityCountsView = z.object({ critical: z.int(), high: z.int(), medium: z.int(), low: z.int(), informational: z.int() });
const PostureCountsShape = {
  total: z.int(),
  pass: z.int(),
  fail: z.int(),
  manual: z.int(),
  pass_rate: z.number(),
  failing_by_severity: SeverityCountsView,
};
const Day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);

export const ProviderOverviewView = z
  .looseObject({
    team_id: z.string(),
    generated_at: Instant,
    totals: z.looseObject(PostureCountsShape),
    providers: z.array(
      z.looseObject({
        provider: z.string(),
        ...PostureCountsShape,
        accounts: z.array(z.looseObject({ account_id: ProviderAccount, ...PostureCountsShape })),
      }),
    ),
  })
  .meta({ id: "ProviderOverview" });

export const GroupOverviewView = z
  .looseObject({
    team_id: z.string(),
    generated_at: Instant,
    filter: z.object({ provider: z.string().nullable(), account_ids: z.array(z.string()).nullable() }),
    totals: z.looseObject(PostureCountsShape),
    rows: z.array(z.looseObject({ provider: z.string(), key: z.string(), ...PostureCountsShape })),
  })
  .meta({ id: "GroupOverview", description: "Posture per provider and service (or region), most failing first" });

export const SeverityTrendView = z
  .looseObject({
    team_id: z.string(),
    generated_at: Instant,
    days: z.int(),
    since: Instant,
    points: z.array(z.looseObject({ date: Day, total: z.int(), ...SeverityCountsView.shape })),
  })
  .meta({ id: "SeverityTrend" });

export const FindingsTrendView = z
  .looseObject({
    team_id: z.string(),
    generated_at: Instant,
    days: z.int(),
    since: Instant,
    totals: z.object({ new: z.int(), new_failing: z.int(), resolved: z.int() }),
    points: z.array(z.object({ date: Day, new: z.int(), new_failing: z.int(), resolved: z.int() })),
  })
  .meta({ id: "FindingsTrend" });

const FrameworkRowShape = {
  framework_id: z.string(),
  name: z.string(),
  framework_version: z.string(),
  provider: z.string(),
  compliance_key: z.string(),
  total: z.int(),
  pass: z.int(),
  fail: z.int(),
  manual: z.int(),
  score: z.number(),
};

export const FrameworkListView = z
  .looseObject({
    team_id: z.string(),
    generated_at: Instant,
    providers: z.array(z.string()),
    frameworks: z.array(z.looseObject(FrameworkRowShape)),
  })
  .meta({ id: "FrameworkPostureList" });

export const FrameworkPostureView = z
  .looseObject({
    team_id: z.string(),
    generated_at: Instant,
    ...FrameworkRowShape,
    description: z.string().nullable(),
    requirements: z.array(
      z.looseObject({
        requirement_id: z.string(),
        title: z.string(),
        section: z.string().nullable(),
        status: z.enum(["pass", "fail", "manual"]),
        findings: z.object({ pass: z.int(), fail: z.int(), manual: z.int() }),
        checks: z.array(z.string()),
      }),
    ),
  })
  .meta({ id: "FrameworkPosture" });

const LifecycleView = z.object({ inserted: z.int(), changed: z.int(), unchanged: z.int(), resolved: z.int(), reopened: z.int() });
const ScanRunShape = {
  id: z.string(),
  account_id: ProviderAccount,
  provider: z.string().nullable(),
  scanner: z.string(),
  status: z.string(),
  created_at: Instant,
  started_at: Instant.nullable(),
  finished_at: Instant.nullable(),
  error: z.string().nullable(),
  findings: z.int().nullable(),
  passed: z.int().nullable(),
  failed: z.int().nullable(),
  full: z.boolean(),
  lifecycle: LifecycleView.nullable(),
};

export const ScanRunView = z.looseObject(ScanRunShape).meta({ id: "ScanRun" });

export const ScanRunDetailView = z
  .looseObject({
    ...ScanRunShape,
    current_findings: z.object({ total: SeverityCountsView, failing: SeverityCountsView }),
    resolved_by_severity: SeverityCountsView,
  })
  .meta({ id: "ScanRunDetail" });

export const OccurrenceView = z
  .looseObject({
    id: z.string(),
    cve_id: z.string(),
    title: z.string().nullable(),
    severity: z.string(),
    status: z.string(),
    known_exploited: z.boolean(),
    asset_id: z.string(),
    component_name: z.string(),
    component_version: z.string(),
    first_seen_at: Instant,
    last_seen_at: Instant,
    sla: z
      .object({ policy: z.string(), days: z.int(), due_at: Instant, days_left: z.int().nullable(), breached: z.boolean() })
      .nullable()
      .meta({ description: "SLA state under the team's default policy; null when it has none" }),
  })
  .meta({ id: "VulnerabilityOccurrence" });

export const VulnerabilitySummaryView = z
  .looseObject({
    team_id: z.string(),
    generated_at: Instant,
    sla_policy: z.string().nullable(),
    total: z.int(),
    by_status: z.record(z.string(), z.int()),
    open_by_severity: SeverityCountsView,
    breached: z.int(),
    breached_by_severity: SeverityCountsView,
  })
  .meta({ id: "VulnerabilitySummary" });

export const AiModelView = z
  .looseObject({
    id: z.string(),
    name: z.string(),
    model_version: z.string(),
    provider: z.string(),
    owner: z.string(),
    risk_tier: z.enum(["unacceptable", "high", "limited", "minimal"]),
    status: z.string(),
    eu_ai_act_status: z.enum(["not_assessed", "non_compliant", "partially_compliant", "compliant"]),
    obligations: z.object({ done: z.int(), total: z.int() }),
    reviewed_at: Instant.nullable(),
  })
  .meta({ id: "AiModel" });
