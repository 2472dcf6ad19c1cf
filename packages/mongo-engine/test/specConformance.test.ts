import { afterAll, beforeAll, expect, it } from "vitest";
import { type CompatServer, startCompatServer } from "../src/index";
import { countReasons, countVerdicts, formatTable, listByReason } from "./unifiedRunner/conformanceReport";
import { readSpecFolder, SPEC_FOLDERS } from "./unifiedRunner/specFiles";
import { type TestVerdict, UnifiedRunner } from "./unifiedRunner/unifiedRunner";

/**
 * MongoDB's own Unified Test Format spec tests (../shared/fixtures/mongodb-spec, all eight folders)
 * through the official driver: against `MONGODB_URI` when set, else against an engine started here
 * with test commands (fail points) enabled. Prints a table per folder; fails on any wrong answer.
 * Refusals (115/238) are counted and listed, never hidden.
 */

let server: CompatServer | undefined;
let runner: UnifiedRunner;

beforeAll(async () => {
  let uri = process.env.MONGODB_URI;
  if (uri === undefined) {
    server = await startCompatServer({ enableTestCommands: true });
    uri = server.uri;
  }
  runner = new UnifiedRunner({ uri });
});

afterAll(async () => {
  await runner?.close();
  await server?.stop();
});

it("answers MongoDB's unified spec tests without a wrong answer", { timeout: 600_000 }, async () => {
  const only = process.env.CSPM_SPEC_ONLY;
  const byFolder = new Map<string, TestVerdict[]>();
  for (const folder of SPEC_FOLDERS) {
    const verdicts: TestVerdict[] = [];
    for (const file of readSpecFolder(folder)) {
      if (only && !`${folder}/${file.name}`.includes(only)) continue;
      verdicts.push(...(await runner.runFile(`${folder}/${file.name}`, file.text)));
    }
    byFolder.set(folder, verdicts);
  }
  const counts = countVerdicts(byFolder);
  const report = [
    `Unified spec tests against ${server ? "the offline engine" : "MONGODB_URI"}:`,
    formatTable(counts),
    "",
    "Refused (the server answered 115/238):",
    ...listByReason(byFolder, "refused").map((l) => `  - ${l}`),
    "",
    "Skipped by requirement:",
    ...countReasons(byFolder, "skipped").map((l) => `  - ${l}`),
    "",
    "Unsupported by the runner:",
    ...listByReason(byFolder, "unsupported").map((l) => `  - ${l}`),
    "",
    "Wrong answers:",
    ...listByReason(byFolder, "wrong").map((l) => `  - ${l}`),
  ].join("\n");
  console.log(report);
  const total = counts.get("total");
  expect(total?.pass ?? 0).toBeGreaterThan(0);
  expect(listByReason(byFolder, "wrong")).toEqual([]);
});
