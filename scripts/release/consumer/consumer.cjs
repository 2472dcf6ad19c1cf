// CommonJS consumer of the packed packages (see scenario.cjs): loads every package through `require`.
"use strict";
const container = require("@cspm/container");
const domain = require("@cspm/domain");
const testkit = require("@cspm/testkit");
const { runScenario } = require("./scenario.cjs");

runScenario({ format: "cjs", container, domain, testkit, load: async (name) => require(name) }).catch((error) => {
  process.stderr.write(`consumer.cjs failed: ${error?.stack ?? error}\n`);
  process.exit(1);
});
