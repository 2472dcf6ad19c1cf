#!/usr/bin/env node
import { EXIT_CODES, runCli } from "./runCli";

runCli(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`cspm-contracts: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = EXIT_CODES.usage;
  },
);
