/**
 * The example API (`buildApp` of `examples/api`) in a process of its own for the HTTP route benchmark:
 * a `ServiceContainer` over the bench's MongoDB with the cache switched off (`cache.enabled: false`, i.e.
 * `CSPM_CACHE=off`), no command monitor, Fastify's logger off, listening on 127.0.0.1:0. Input (argv[2], JSON):
 * `{ uri, prefix, encryptionKey, cursorSecret }`. Sends `{ type: "ready", port }`.
 */
import { createServiceContainer } from "@cspm/container";
import { buildApp } from "../../examples/api/src/index";
import { serveBenchParent } from "./benchChild";

const input = JSON.parse(process.argv[2] ?? "{}") as { uri: string; prefix: string; encryptionKey: string; cursorSecret: string };
const services = createServiceContainer({
  mongodb: { uri: input.uri, prefix: input.prefix, appName: "cspm-bench-api" },
  encryptionKeys: `k1:${input.encryptionKey}`,
  cursorSecret: input.cursorSecret,
  cache: { enabled: false },
});
await services.initialize();
// The team header path (no credential check, as in the hand-written route) and no rate limit: the data path is measured.
const app = buildApp({ services, developmentTeamHeader: true, rateLimit: false, warn: () => undefined });
await app.listen({ host: "127.0.0.1", port: 0 });
const address = app.server.address();
const port = typeof address === "object" && address !== null ? address.port : 0;
serveBenchParent(async () => {
  await app.close();
  await services.dispose();
}).send({ type: "ready", port });
