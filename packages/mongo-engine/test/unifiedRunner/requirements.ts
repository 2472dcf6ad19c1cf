import type { Document, MongoClient } from "mongodb";

/** What `runOnRequirements` are checked against, learned once from the server. */
export interface ServerFacts {
  readonly version: readonly [number, number, number];
  readonly topology: "single" | "replicaset" | "sharded" | "load-balanced";
  readonly auth: boolean;
  /** Members of the replica set (1 for a standalone). */
  readonly members: number;
  /** `getParameter` answers, fetched lazily and cached. */
  parameter(name: string): Promise<{ readonly known: boolean; readonly value?: unknown }>;
}

function parseVersion(text: string): [number, number, number] {
  const [major = 0, minor = 0, patch = 0] = text
    .split("-")[0]!
    .split(".")
    .map((p) => Number.parseInt(p, 10) || 0);
  return [major, minor, patch];
}

function compareVersions(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < 3; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** Reads the server's version (buildInfo.versionArray) and topology (hello). */
export async function learnServer(client: MongoClient): Promise<ServerFacts> {
  const admin = client.db("admin");
  const info = await admin.command({ buildInfo: 1 });
  const hello = await admin.command({ hello: 1 });
  const array = Array.isArray(info.versionArray) ? (info.versionArray as number[]) : undefined;
  const version: [number, number, number] = array
    ? [Number(array[0] ?? 0), Number(array[1] ?? 0), Number(array[2] ?? 0)]
    : parseVersion(String(info.version));
  const topology =
    hello.msg === "isdbgrid" ? "sharded" : hello.serviceId !== undefined ? "load-balanced" : hello.setName ? "replicaset" : "single";
  const status = await admin.command({ connectionStatus: 1 });
  const auth = Array.isArray(status.authInfo?.authenticatedUsers) && status.authInfo.authenticatedUsers.length > 0;
  const cache = new Map<string, { known: boolean; value?: unknown }>();
  return {
    version,
    topology,
    auth,
    members: Array.isArray(hello.hosts) ? hello.hosts.length : 1,
    async parameter(name) {
      let hit = cache.get(name);
      if (!hit) {
        try {
          const reply = await admin.command({ getParameter: 1, [name]: 1 });
          hit = Object.hasOwn(reply, name) ? { known: true, value: reply[name] } : { known: false };
        } catch {
          hit = { known: false };
        }
        cache.set(name, hit);
      }
      return hit;
    },
  };
}

function sameParameter(expected: unknown, actual: unknown): boolean {
  if (typeof expected === "number" || typeof actual === "number") return Number(expected) === Number(actual);
  return JSON.stringify(expected) === JSON.stringify(actual);
}

/** Why one requirement is not met (or `undefined` when it is). */
async function unmet(requirement: Document, facts: ServerFacts): Promise<string | undefined> {
  if (
    requirement.minServerVersion !== undefined &&
    compareVersions(facts.version, parseVersion(String(requirement.minServerVersion))) < 0
  ) {
    return `server ${facts.version.join(".")} < minServerVersion ${String(requirement.minServerVersion)}`;
  }
  if (
    requirement.maxServerVersion !== undefined &&
    compareVersions(facts.version, parseVersion(String(requirement.maxServerVersion))) > 0
  ) {
    return `server ${facts.version.join(".")} > maxServerVersion ${String(requirement.maxServerVersion)}`;
  }
  if (Array.isArray(requirement.topologies)) {
    const wanted = requirement.topologies as string[];
    const ok = wanted.includes(facts.topology) || (facts.topology === "sharded" && wanted.includes("sharded-replicaset"));
    if (!ok) return `topology ${facts.topology} not in ${wanted.join(", ")}`;
  }
  if (requirement.serverless === "require") return "needs Atlas Serverless";
  if (requirement.auth === true && !facts.auth) return "needs authentication";
  if (requirement.auth === false && facts.auth) return "needs authentication off";
  if (requirement.authMechanism !== undefined) return `needs auth mechanism ${String(requirement.authMechanism)}`;
  if (requirement.csfle === true) return "needs client-side field level encryption";
  if (requirement.serverParameters !== undefined) {
    for (const [name, expected] of Object.entries(requirement.serverParameters as Document)) {
      const found = await facts.parameter(name);
      if (!found.known || !sameParameter(expected, found.value)) return `server parameter ${name} is not ${JSON.stringify(expected)}`;
    }
  }
  return undefined;
}

/** `undefined` when at least one requirement is met (or there are none); else the reasons. */
export async function requirementsUnmet(requirements: unknown, facts: ServerFacts): Promise<string | undefined> {
  if (!Array.isArray(requirements) || requirements.length === 0) return undefined;
  const reasons: string[] = [];
  for (const requirement of requirements as Document[]) {
    const reason = await unmet(requirement, facts);
    if (reason === undefined) return undefined;
    reasons.push(reason);
  }
  return reasons.join("; ");
}
