// The scenario both packed consumers run (consumer.mjs and consumer.cjs pass in the modules they loaded, so
// this file itself imports no @cspm package). Starts the test MongoDB through the packed @cspm/testkit,
// wires the container, registers an account, stores two findings, reads the dashboard summary, disposes,
// stops MongoDB and prints ONE line: `RESULT {json}`. On success it never calls process.exit: the process
// must end by itself, which is the open-handles check packedInstallCheck.ts times.
"use strict";
const { randomBytes } = require("node:crypto");

const TEAM = "team-packed";
const AWS_CREDENTIALS = { access_key_id: "AKIAIOSFODNN7EXAMPLE", secret_access_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" };

function finding(overrides) {
  return {
    provider: "aws",
    account_id: "123456789012",
    scan_id: "scan-packed-1",
    check_title: "Packed install check",
    status_extended: "Stored by the packed install check.",
    service_name: "iam",
    region: "us-east-1",
    resource_type: "AwsIamUser",
    compliance: [{ framework: "CIS-2.0", controls: ["1.5"] }],
    ...overrides,
  };
}

/** Loads every packed package's entry point and returns how many named exports each has. */
async function loadEveryPackage(names, load) {
  const counts = {};
  for (const name of names) {
    const mod = await load(name);
    counts[name] = Object.keys(mod).filter((key) => key !== "default" && key !== "__esModule").length;
    if (counts[name] === 0) throw new Error(`${name} loaded with no exports`);
  }
  return counts;
}

/**
 * @param {{ format: "esm" | "cjs", container: any, domain: any, testkit: any, load: (name: string) => Promise<any> }} input
 */
async function runScenario({ format, container, domain, testkit, load }) {
  const names = (process.env.CSPM_PACKED_PACKAGES ?? "").split(",").filter(Boolean);
  const exportCounts = await loadEveryPackage(names, load);
  const mongo = await testkit.startTestMongo({ log: (line) => process.stderr.write(`${line}\n`) });
  const prefix = `pack_${format}_${randomBytes(4).toString("hex")}_`;
  let result;
  try {
    const services = container.createServiceContainer({
      mongodb: { uri: mongo.uri, prefix, serverSelectionTimeoutMS: 10_000 },
      encryptionKeys: `k1:${randomBytes(32).toString("base64")}`,
    });
    try {
      await services.initialize({ ensureIndexes: true });
      const account = await services
        .resolve(container.TOKENS.CentralAccountService)
        .registerAccount(TEAM, { provider: "aws", accountId: "123456789012", name: "prod", credentials: AWS_CREDENTIALS });
      // A repository resolved by its class through the container (no decorator metadata involved).
      const findings = services.resolve(domain.ProwlerFindingRepository);
      await findings.upsertFromScan(TEAM, [
        finding({ check_id: "iam_root_mfa_enabled", status: "FAIL", severity: "critical", resource_uid: "arn:aws:iam::123456789012:root" }),
        finding({ check_id: "iam_password_policy_set", status: "PASS", severity: "low", resource_uid: "arn:aws:iam::123456789012:policy" }),
      ]);
      const aggregation = services.resolve(container.TOKENS.AggregationService);
      const { AggregationService } = await load("@cspm/services");
      const summary = await aggregation.getDashboardSummary(TEAM);
      result = {
        format,
        engine: mongo.engine,
        exports: exportCounts,
        account: {
          provider: account.provider,
          account_id: account.account_id,
          name: account.name,
          has_credentials: account.has_credentials,
        },
        // instanceof against the class this consumer loads itself: one copy of each package per format.
        resolved: { aggregation: aggregation instanceof AggregationService, findings: findings instanceof domain.ProwlerFindingRepository },
        decorator_metadata:
          typeof Reflect.getMetadata === "function"
            ? Reflect.getMetadata("design:paramtypes", aggregation.constructor) !== undefined
            : null,
        totals: summary.totals,
        pass_rate: summary.pass_rate,
        by_account: summary.by_account.map((row) => ({ account_id: row.account_id, name: row.name ?? null })),
      };
    } finally {
      await services.dispose();
    }
    // Matters only when MONGODB_URI points at a real server: leave nothing behind.
    const { MongoClient } = await load("mongodb");
    const client = new MongoClient(mongo.uri);
    try {
      await testkit.dropDatabasesWithPrefix(client, prefix);
    } finally {
      await client.close();
    }
  } finally {
    await mongo.stop();
  }
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
  // Fires only if something still holds the process open; unref'd, so it never keeps it alive itself.
  setTimeout(() => {
    process.stderr.write(`still running 5 s after dispose(); active resources: ${JSON.stringify(process.getActiveResourcesInfo())}\n`);
  }, 5_000).unref();
}

module.exports = { runScenario };
