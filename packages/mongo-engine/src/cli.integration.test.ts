import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { MongoClient } from "mongodb";
import { afterEach, describe, expect, it } from "vitest";

const BIN = fileURLToPath(new URL("./bin.ts", import.meta.url));
let child: ChildProcess | undefined;

/** Runs the bin from source in its own process (tsx), as `cspm-mongo-engine` runs the built file. */
function startBin(args: readonly string[]): ChildProcess {
  child = spawn(process.execPath, ["--import", "tsx", BIN, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  return child;
}

async function firstLine(stream: NodeJS.ReadableStream): Promise<string> {
  let text = "";
  for await (const chunk of stream) {
    text += String(chunk);
    if (text.includes("\n")) break;
  }
  return text.split("\n")[0] ?? "";
}

afterEach(() => {
  if (child && child.exitCode === null) child.kill("SIGKILL");
  child = undefined;
});

describe("cspm-mongo-engine bin", () => {
  it("starts a server another process can use, and stops with exit 0 on SIGTERM", async () => {
    const proc = startBin(["--port", "0", "--replica-set", "rsBin", "--json"]);
    const line = JSON.parse(await firstLine(proc.stdout as NodeJS.ReadableStream)) as { uri: string; port: number; pid: number };
    expect(line.uri).toBe(`mongodb://127.0.0.1:${line.port}/?replicaSet=rsBin`);
    expect(line.pid).toBe(proc.pid);
    const client = await MongoClient.connect(line.uri, { serverSelectionTimeoutMS: 5000 });
    try {
      const coll = client.db("bin_test").collection("things");
      await coll.insertOne({ _id: 1 as never, name: "from another process" });
      expect(await coll.findOne({ _id: 1 as never })).toEqual({ _id: 1, name: "from another process" });
      const hello = await client.db("admin").command({ hello: 1 });
      expect(hello.setName).toBe("rsBin");
    } finally {
      await client.close();
    }
    const exited = once(proc, "exit");
    proc.kill("SIGTERM");
    const [code] = await exited;
    expect(code).toBe(0);
  });

  it("turns on test commands and notablescan with --enable-test-commands and --notablescan", async () => {
    const proc = startBin(["--enable-test-commands", "--notablescan"]);
    const uri = await firstLine(proc.stdout as NodeJS.ReadableStream);
    const client = await MongoClient.connect(uri, { serverSelectionTimeoutMS: 5000 });
    try {
      const admin = client.db("admin");
      expect(await admin.command({ getParameter: 1, notablescan: 1, enableTestCommands: 1 })).toMatchObject({
        notablescan: true,
        enableTestCommands: true,
      });
      await admin.command({ configureFailPoint: "failCommand", mode: { times: 1 }, data: { failCommands: ["ping"], errorCode: 2 } });
      await expect(client.db("bin_test").command({ ping: 1 })).rejects.toMatchObject({ code: 2 });
      await client.db("bin_test").collection("c").insertOne({ a: 1 });
      await expect(client.db("bin_test").collection("c").find({ a: 1 }).toArray()).rejects.toMatchObject({ code: 291 });
    } finally {
      await client.close();
    }
  });

  it("prints the bare URI by default", async () => {
    const proc = startBin([]);
    expect(await firstLine(proc.stdout as NodeJS.ReadableStream)).toMatch(/^mongodb:\/\/127\.0\.0\.1:\d+\/\?replicaSet=rs0$/);
  });

  it("answers a usage error with exit 2 and the usage text", async () => {
    const proc = startBin(["--port", "not-a-port"]);
    let stderr = "";
    proc.stderr?.on("data", (chunk) => {
      stderr += String(chunk);
    });
    const [code] = await once(proc, "exit");
    expect(code).toBe(2);
    expect(stderr).toContain("--port must be an integer from 0 to 65535");
    const unknown = startBin(["--bogus"]);
    let unknownErr = "";
    unknown.stderr?.on("data", (chunk) => {
      unknownErr += String(chunk);
    });
    const [unknownCode] = await once(unknown, "exit");
    expect(unknownCode).toBe(2);
    expect(unknownErr).toContain("Usage: cspm-mongo-engine");
  });
});
