#!/usr/bin/env node
// A committed launcher, so package managers can link the bin before the package is built.
import("../dist/bin.js").catch((error) => {
  console.error(`cspm-ingest: cannot load ../dist/bin.js (${error.code ?? error.message}); build the package first.`);
  process.exit(1);
});
