#!/usr/bin/env node
// Entry point of the example ingestion worker: `tsx src/main.ts import|generate …` (see runCli.ts).
import { runCli } from "./runCli";

const code = await runCli(process.argv.slice(2), {
  env: process.env,
  stdout: (text) => process.stdout.write(text),
  stderr: process.stderr,
});
process.exitCode = code;
