/**
 * The baseline of the HTTP route benchmark: `GET /accounts` written by hand with Fastify and the raw
 * driver, as a careful engineer would without the data layer — the same checks (team header shape, `limit`
 * 1..1000, unknown query parameters refused), the same query (team, not soft-deleted, `_id` order, one extra
 * document to know whether there is a next page), the same view (no credential material) and the same
 * envelope. Input (argv[2], JSON): `{ uri, database }`. Sends `{ type: "ready", port }`.
 */
import Fastify from "fastify";
import { type Document, MongoClient } from "mongodb";
import { serveBenchParent } from "./benchChild";

const input = JSON.parse(process.argv[2] ?? "{}") as { uri: string; database: string };
const client = await MongoClient.connect(input.uri, { appName: "cspm-bench-hand-written" });
const accounts = client.db(input.database).collection("enhanced_cloud_accounts");
const TEAM = /^[A-Za-z0-9_-]{1,128}$/;

function badRequest(message: string, path: string) {
  return { success: false, error: { code: "VALIDATION_FAILED", message, details: { issues: [{ path, message }] } } };
}

function view(doc: Document): Document {
  const out: Document = {
    id: doc._id.toHexString(),
    team_id: doc.team_id,
    provider: doc.provider,
    account_id: doc.account_id,
    name: doc.name,
    status: doc.status,
    regions: doc.regions,
    tags: doc.tags.map((t: { key: string; value: string }) => ({ key: t.key, value: t.value })),
    has_credentials: doc.encrypted_credentials != null,
    created_at: doc.created_at,
    updated_at: doc.updated_at,
  };
  if (doc.status_message !== undefined) out.status_message = doc.status_message;
  if (doc.credentials_updated_at !== undefined) out.credentials_updated_at = doc.credentials_updated_at;
  if (doc.last_scan_at !== undefined) out.last_scan_at = doc.last_scan_at;
  if (doc.last_scan_status !== undefined) out.last_scan_status = doc.last_scan_status;
  if (doc.version !== undefined) out.version = doc.version;
  return out;
}

const app = Fastify({ logger: false });
app.get("/accounts", async (request, reply) => {
  const team = request.headers["x-team-id"];
  if (typeof team !== "string" || !TEAM.test(team)) return reply.code(400).send(badRequest("bad team", "headers.x-team-id"));
  const query = request.query as Record<string, string>;
  for (const key of Object.keys(query)) if (key !== "limit") return reply.code(400).send(badRequest(`unknown ${key}`, key));
  const limit = query.limit === undefined ? 50 : Number(query.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) return reply.code(400).send(badRequest("bad limit", "limit"));
  const docs = await accounts
    .find({ team_id: team, deleted_at: null })
    .sort({ _id: 1 })
    .limit(limit + 1)
    .toArray();
  const more = docs.length > limit;
  const items = (more ? docs.slice(0, limit) : docs).map(view);
  const nextCursor = more ? Buffer.from(items[items.length - 1]?.id ?? "").toString("base64url") : null;
  return { success: true, data: { items, next_cursor: nextCursor, has_more: more, count: items.length, limit } };
});
await app.listen({ host: "127.0.0.1", port: 0 });
const address = app.server.address();
const port = typeof address === "object" && address !== null ? address.port : 0;
serveBenchParent(async () => {
  await app.close();
  await client.close();
}).send({ type: "ready", port });
