import { parseArgs } from "node:util";
import { startCompatServer } from "./compatServer";

const USAGE = `Usage: cspm-mongo-engine [--port <n>] [--replica-set <name>] [--enable-test-commands] [--notablescan] [--json]

Starts the offline MongoDB-compatible engine on 127.0.0.1 and prints its connection string.
  --port <n>                TCP port (default 0: an ephemeral port)
  --replica-set <name>      replica set name advertised by hello (default rs0)
  --enable-test-commands    mongod's enableTestCommands: configureFailPoint (failCommand, ...)
  --notablescan             mongod's notablescan: queries needing a collection scan fail (291)
  --json                    print {"uri": ..., "port": ..., "pid": ...} instead of the bare URI
Stops on SIGTERM or SIGINT (exit 0). Data lives in memory only.`;

/** Exit codes of the bin: 0 stopped by a signal, 1 could not start, 2 usage error. */
export async function main(argv: readonly string[]): Promise<void> {
  let values: {
    port?: string;
    "replica-set"?: string;
    "enable-test-commands"?: boolean;
    notablescan?: boolean;
    json?: boolean;
    help?: boolean;
  };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        port: { type: "string" },
        "replica-set": { type: "string" },
        "enable-test-commands": { type: "boolean" },
        notablescan: { type: "boolean" },
        json: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    process.stderr.write(`cspm-mongo-engine: ${(error as Error).message}\n\n${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    process.stderr.write(`cspm-mongo-engine: --port must be an integer from 0 to 65535, got "${values.port}"\n`);
    process.exitCode = 2;
    return;
  }
  const replicaSetName = values["replica-set"];
  if (replicaSetName !== undefined && !/^[A-Za-z0-9_-]{1,64}$/.test(replicaSetName)) {
    process.stderr.write("cspm-mongo-engine: --replica-set must be 1-64 letters, digits, '_' or '-'\n");
    process.exitCode = 2;
    return;
  }
  let server: Awaited<ReturnType<typeof startCompatServer>>;
  try {
    server = await startCompatServer({
      port,
      ...(replicaSetName === undefined ? {} : { replicaSetName }),
      enableTestCommands: values["enable-test-commands"] === true,
      notablescan: values.notablescan === true,
    });
  } catch (error) {
    process.stderr.write(`cspm-mongo-engine: could not start on 127.0.0.1:${port}: ${(error as Error).message}\n`);
    process.exitCode = 1;
    return;
  }
  process.stdout.write(values.json ? `${JSON.stringify({ uri: server.uri, port: server.port, pid: process.pid })}\n` : `${server.uri}\n`);
  const stop = () => {
    void server.stop().then(() => process.exit(0));
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}
