#!/usr/bin/env node
// A committed launcher, so package managers can link the bin before the package is built.
import("../dist/cli.js").catch((error) => {
  console.error(`cspm-contracts: cannot load ../dist/cli.js (${error.code ?? error.message}); build the package first.`);
  process.exit(1);
});
