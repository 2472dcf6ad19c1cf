#!/usr/bin/env node
import { runMigrateCli } from "./migrateCli";

runMigrateCli(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  () => {
    process.exitCode = 1;
  },
);
