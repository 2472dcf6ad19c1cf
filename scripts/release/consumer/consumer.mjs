// ESM consumer of the packed packages (see scenario.cjs).
import * as container from "@cspm/container";
import * as domain from "@cspm/domain";
import * as testkit from "@cspm/testkit";
import { runScenario } from "./scenario.cjs";

try {
  await runScenario({ format: "esm", container, domain, testkit, load: (name) => import(name) });
} catch (error) {
  process.stderr.write(`consumer.mjs failed: ${error?.stack ?? error}\n`);
  process.exit(1);
}
