/**
 * What Node's HTTP parser and Fastify's router refuse before any route runs — headers over the limit, a
 * request line that is not HTTP, a malformed %-encoding, an over-long path parameter — is answered in the
 * envelope with an `x-request-id`, like every other error. Through a real listening server and raw sockets,
 * because `inject` skips the HTTP parser.
 */
import { connect } from "node:net";
import { createServiceContainer, type ServiceContainer } from "@cspm/container";
import { dropDatabasesWithPrefix, testDatabasePrefix, testMongoUri } from "@cspm/testkit";
import type { FastifyInstance } from "fastify";
import { MongoClient } from "mongodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "./buildApp";

const prefix = testDatabasePrefix("apiproto");
let services: ServiceContainer;
let app: FastifyInstance;
let port: number;

beforeAll(async () => {
  services = createServiceContainer({
    mongodb: { uri: testMongoUri(), prefix },
    encryptionKeys: `k1:${Buffer.alloc(32, 3).toString("base64")}`,
  });
  await services.initialize();
  app = buildApp({ services, rateLimit: false });
  await app.listen({ port: 0, host: "127.0.0.1" });
  port = (app.server.address() as { port: number }).port;
});

afterAll(async () => {
  await app?.close();
  await services?.dispose();
  const client = await MongoClient.connect(testMongoUri());
  await dropDatabasesWithPrefix(client, prefix);
  await client.close();
});

/** Sends raw bytes and returns the status code, headers and parsed body of the answer. */
function raw(
  request: string,
): Promise<{ status: number; headers: Record<string, string>; body: { success: boolean; error?: { code: string } } }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1", () => socket.write(request));
    let text = "";
    socket.on("data", (chunk) => {
      text += String(chunk);
    });
    socket.on("error", reject);
    socket.on("close", () => {
      const [head = "", ...rest] = text.split("\r\n\r\n");
      const [statusLine = "", ...headerLines] = head.split("\r\n");
      const headers = Object.fromEntries(
        headerLines.map((line) => [line.slice(0, line.indexOf(":")).toLowerCase(), line.slice(line.indexOf(":") + 1).trim()]),
      );
      try {
        resolve({ status: Number(statusLine.split(" ")[1]), headers, body: JSON.parse(rest.join("\r\n\r\n")) });
      } catch (error) {
        reject(new Error(`not an envelope: ${text.slice(0, 300)} (${String(error)})`));
      }
    });
  });
}

describe("protocol-level errors answer in the envelope with a request id", () => {
  it("headers over the limit: 431, PAYLOAD_TOO_LARGE", async () => {
    const answer = await raw(`GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`);
    expect(answer.status).toBe(431);
    expect(answer.body).toMatchObject({ success: false, error: { code: "PAYLOAD_TOO_LARGE" } });
    expect(answer.headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("a request line that is not HTTP: 400, VALIDATION_FAILED", async () => {
    const answer = await raw("GARBAGE\r\n\r\n");
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ success: false, error: { code: "VALIDATION_FAILED" } });
    expect(answer.headers["x-request-id"]).toBeTruthy();
  });

  it.each([
    ["a malformed %-encoding", "/accounts/%zz"],
    ["an over-long path parameter", `/accounts/${"a".repeat(1_000)}`],
  ])("%s: 400 in the envelope with x-request-id", async (_name, path) => {
    const answer = await raw(`GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ success: false, error: { code: "VALIDATION_FAILED" } });
    expect(answer.headers["x-request-id"]).toBeTruthy();
  });
});
