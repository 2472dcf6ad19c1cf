import {
  ControlMappingRepository,
  ControlRepository,
  type FrameworkDocument,
  FrameworkIdSchema,
  FrameworkRepository,
  frameworkIdFor,
  ProwlerFindingRepository,
} from "@cspm/domain";
import { NotFoundError } from "@cspm/errors";
import { parseInput, parseTeamId, type RepositoryFactory, type TeamId, trustedFilter } from "@cspm/repository";
import type { Document } from "mongodb";
import type { Clock } from "./clock";

/** Dependencies of `CompliancePostureService` (built by `createServices`). */
export interface CompliancePostureServiceDependencies {
  readonly repositories: RepositoryFactory;
  readonly clock: Clock;
}

/** Where one requirement stands: any failing finding fails it; else any passing finding passes it; else manual. */
export type RequirementStatus = "pass" | "fail" | "manual";

/** Requirement counts of one framework. */
export interface RequirementCounts {
  /** Requirements of the framework. */
  readonly total: number;
  readonly pass: number;
  readonly fail: number;
  /** Requirements with no automated result: no mapped check, only MANUAL findings, or no finding yet. */
  readonly manual: number;
  /** `pass / (pass + fail) * 100`, two decimals; 0 when no requirement passed or failed. */
  readonly score: number;
}

/** One framework of `listFrameworks`. */
export interface FrameworkPostureRow extends RequirementCounts {
  readonly framework_id: string;
  readonly name: string;
  readonly framework_version: string;
  readonly provider: string;
  /** The key the provider's findings carry for it (`CIS-2.0`). */
  readonly compliance_key: string;
}

/** What `listFrameworks` returns. */
export interface FrameworkPostureList {
  readonly team_id: string;
  readonly generated_at: Date;
  /** The providers the team has current findings of; only their frameworks are listed. */
  readonly providers: readonly string[];
  readonly frameworks: readonly FrameworkPostureRow[];
}

/** One requirement (control) of a framework with the findings behind it. */
export interface RequirementPosture {
  readonly requirement_id: string;
  readonly title: string;
  readonly section: string | null;
  readonly status: RequirementStatus;
  /** Current, unmuted findings of the framework's provider mapped to the requirement, by status. */
  readonly findings: { readonly pass: number; readonly fail: number; readonly manual: number };
  /** The checks the catalogue maps to the requirement (sorted). */
  readonly checks: readonly string[];
}

/** What `getFramework` returns. */
export interface FrameworkPosture extends FrameworkPostureRow {
  readonly team_id: string;
  readonly generated_at: Date;
  readonly description: string | null;
  readonly requirements: readonly RequirementPosture[];
}

const num = (value: unknown): number => (typeof value === "number" && Number.isFinite(value) ? value : 0);
const countIf = (status: string): Document => ({ $sum: { $cond: [{ $eq: ["$status", status] }, 1, 0] } });

function score(pass: number, fail: number): number {
  return pass + fail === 0 ? 0 : Math.round((pass / (pass + fail)) * 10_000) / 100;
}

function statusOf(counts: { pass: number; fail: number } | undefined): RequirementStatus {
  if (counts === undefined) return "manual";
  return counts.fail > 0 ? "fail" : counts.pass > 0 ? "pass" : "manual";
}

/** The current findings (unmuted, unresolved) of a team; served by `team_muted_last_seen`. */
const CURRENT = { muted: false, resolved_at: null } as const;

/**
 * Compliance posture from Prowler's real catalogues (`cspm_compliance.frameworks`, `controls`,
 * `control_mappings`, shared, loaded by `@cspm/ingest`) and the team's current findings. A finding's
 * compliance keys (`CIS-2.0: ["1.1"]`) resolve to the framework of its OWN provider (`frameworkIdFor`), so
 * an Azure finding never counts for AWS CIS 2.0. Only catalogues with a provider and a compliance key (what
 * the loader writes; findings cannot resolve to others) of providers the team has current findings of are shown (a team scanning only AWS does not see 150 Azure requirements as "manual"); `getFramework` of
 * any other framework is `NOT_FOUND`, like an unknown id. Findings are read through the team-scoped
 * repository; catalogues through the shared repositories. Methods throw `VALIDATION_FAILED`, `NOT_FOUND`,
 * `UNAVAILABLE`, `INTERNAL`.
 */
export class CompliancePostureService {
  readonly #findings: ProwlerFindingRepository;
  readonly #frameworks: FrameworkRepository;
  readonly #controls: ControlRepository;
  readonly #mappings: ControlMappingRepository;
  readonly #now: Clock;

  constructor(deps: CompliancePostureServiceDependencies) {
    this.#findings = deps.repositories.get(ProwlerFindingRepository);
    this.#frameworks = deps.repositories.get(FrameworkRepository);
    this.#controls = deps.repositories.get(ControlRepository);
    this.#mappings = deps.repositories.get(ControlMappingRepository);
    this.#now = deps.clock;
  }

  /**
   * Every loaded framework of a provider the team has current findings of, by name, with its requirement
   * counts (pass/fail/manual) and score. Four queries: the team's providers (one aggregation), frameworks by
   * provider (index `provider_compliance_key`), one aggregation of the findings carrying those frameworks' keys,
   * the control ids of those frameworks (index `framework_control_unique`).
   * Throws `VALIDATION_FAILED`, `UNAVAILABLE`, `INTERNAL`.
   */
  async listFrameworks(teamId: TeamId): Promise<FrameworkPostureList> {
    const team = parseTeamId(teamId);
    const now = this.#now();
    const scope = this.#findings.forTeam(team);
    const providerRows = await scope.aggregate<Document>([{ $match: CURRENT }, { $group: { _id: "$provider" } }, { $sort: { _id: 1 } }]);
    const providers = providerRows.map((row) => String(row["_id"]));
    if (providers.length === 0) return { team_id: team, generated_at: now, providers, frameworks: [] };
    const frameworks = await this.#frameworks
      .shared()
      .findMany(trustedFilter({ provider: { $in: providers }, compliance_key: { $exists: true } }), {
        sort: { name: 1, framework_version: 1 },
        limit: 1000,
      });
    // Only the keys of loaded catalogues are unwound (findings carry many more: ENS, KISA, MITRE …).
    const keys = [...new Set(frameworks.map((f) => f.compliance_key as string))];
    const controlRows =
      keys.length === 0
        ? []
        : await scope.aggregate<Document>(
            [
              { $match: { ...CURRENT, "compliance.framework": { $in: keys } } },
              { $project: { _id: 0, provider: 1, status: 1, compliance: 1 } },
              { $unwind: "$compliance" },
              { $match: { "compliance.framework": { $in: keys } } },
              { $unwind: "$compliance.controls" },
              {
                $group: {
                  _id: { provider: "$provider", key: "$compliance.framework", control: "$compliance.controls" },
                  pass: countIf("PASS"),
                  fail: countIf("FAIL"),
                },
              },
            ],
            { allowDiskUse: true },
          );
    const resultByControl = new Map<string, { pass: number; fail: number }>();
    for (const row of controlRows) {
      const id = (row["_id"] ?? {}) as Document;
      const framework = frameworkIdFor(String(id["provider"]), String(id["key"]));
      resultByControl.set(`${framework}\u0000${String(id["control"])}`, { pass: num(row["pass"]), fail: num(row["fail"]) });
    }
    const ids = frameworks.map((f) => f.framework_id);
    const counts = new Map<string, { requirements: number; pass: number; fail: number }>();
    for (const id of ids) counts.set(id, { requirements: 0, pass: 0, fail: 0 });
    if (ids.length > 0) {
      for await (const control of this.#controls
        .shared()
        .stream(trustedFilter({ framework_id: { $in: ids } }), { projection: { framework_id: 1, control_id: 1 }, batchSize: 2000 })) {
        const entry = counts.get(control.framework_id);
        if (entry === undefined) continue;
        entry.requirements += 1;
        const status = statusOf(resultByControl.get(`${control.framework_id}\u0000${control.control_id}`));
        if (status === "pass") entry.pass += 1;
        else if (status === "fail") entry.fail += 1;
      }
    }
    return {
      team_id: team,
      generated_at: now,
      providers,
      frameworks: frameworks.map((framework) => {
        const c = counts.get(framework.framework_id) ?? { requirements: 0, pass: 0, fail: 0 };
        return {
          ...frameworkFields(framework),
          total: c.requirements,
          pass: c.pass,
          fail: c.fail,
          manual: c.requirements - c.pass - c.fail,
          score: score(c.pass, c.fail),
        };
      }),
    };
  }

  /**
   * One framework with every requirement: its status, the team's finding counts behind it and the checks the
   * catalogue maps to it, by requirement id. `NOT_FOUND` for an unknown id and for a framework of a provider
   * the team has no current findings of (it is not in `listFrameworks`). Throws `VALIDATION_FAILED` (bad
   * id), `NOT_FOUND`, `UNAVAILABLE`, `INTERNAL`.
   */
  async getFramework(teamId: TeamId, frameworkId: string): Promise<FrameworkPosture> {
    const team = parseTeamId(teamId);
    const id = parseInput(FrameworkIdSchema, frameworkId, "frameworkId");
    const now = this.#now();
    const framework = await this.#frameworks.findByFrameworkId(id);
    const notFound = () => new NotFoundError(`No compliance framework ${id} for this team.`, { details: { id } });
    if (framework === null || framework.provider === undefined || framework.compliance_key === undefined) throw notFound();
    const scope = this.#findings.forTeam(team);
    if (!(await scope.exists(trustedFilter({ ...CURRENT, provider: framework.provider })))) throw notFound();
    const key = framework.compliance_key;
    const [controls, mappingRows, findingRows] = await Promise.all([
      this.#controls.shared().findMany(trustedFilter({ framework_id: id }), { sort: { control_id: 1 }, limit: 10_000 }),
      this.#mappings.shared().findMany(trustedFilter({ framework_id: id }), { projection: { control_id: 1, check_id: 1 }, limit: 10_000 }),
      scope.aggregate<Document>([
        { $match: { ...CURRENT, provider: framework.provider, "compliance.framework": key } },
        { $project: { _id: 0, status: 1, compliance: 1 } },
        { $unwind: "$compliance" },
        { $match: { "compliance.framework": key } },
        { $unwind: "$compliance.controls" },
        { $group: { _id: "$compliance.controls", pass: countIf("PASS"), fail: countIf("FAIL"), manual: countIf("MANUAL") } },
      ]),
    ]);
    const checks = new Map<string, string[]>();
    for (const m of mappingRows) checks.set(m.control_id, [...(checks.get(m.control_id) ?? []), m.check_id]);
    const byControl = new Map(findingRows.map((row) => [String(row["_id"]), row]));
    const requirements = [...controls]
      .sort((a, b) => a.control_id.localeCompare(b.control_id, "en", { numeric: true }))
      .map((control) => {
        const row = byControl.get(control.control_id);
        const findings = { pass: num(row?.["pass"]), fail: num(row?.["fail"]), manual: num(row?.["manual"]) };
        return {
          requirement_id: control.control_id,
          title: control.title,
          section: control.section ?? null,
          status: statusOf(row === undefined ? undefined : findings),
          findings,
          checks: [...(checks.get(control.control_id) ?? [])].sort(),
        };
      });
    const pass = requirements.filter((r) => r.status === "pass").length;
    const fail = requirements.filter((r) => r.status === "fail").length;
    return {
      team_id: team,
      generated_at: now,
      ...frameworkFields(framework),
      description: framework.description ?? null,
      total: requirements.length,
      pass,
      fail,
      manual: requirements.length - pass - fail,
      score: score(pass, fail),
      requirements,
    };
  }
}

function frameworkFields(framework: FrameworkDocument) {
  return {
    framework_id: framework.framework_id,
    name: framework.name,
    framework_version: framework.framework_version,
    provider: framework.provider ?? "generic",
    compliance_key: framework.compliance_key ?? framework.framework_id,
  };
}
