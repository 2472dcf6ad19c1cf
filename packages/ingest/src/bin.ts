#!/usr/bin/env node
import { runCli } from "./cli/runCli";

void runCli(process.argv.slice(2), {
  env: process.env,
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  interactive: process.stderr.isTTY === true,
}).then((code) => {
  process.exitCode = code;
});
