import { ValidationError } from "@cspm/errors";
import { type Document, ObjectId } from "mongodb";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { BaseRepository } from "./baseRepository";
import { type IntegrationDatabase, openIntegrationDatabase } from "./integrationDatabase";
import { defineRepository } from "./repositoryDefinition";
import type { Page, ScopedRepository } from "./scopedRepository";
import { trustedFilter } from "./trustedFilter";

const FindingSchema = z.object({
  check_id: z.string(),
  account_id: z.string(),
  resource_uid: z.string(),
  region: z.string(),
  severity_rank: z.number().int().optional(),
  last_seen_at: z.date().optional(),
});
const findings = defineRepository({ database: "CLOUD_SECURITY", collection: "prowler_findings", schema: FindingSchema });
type Scope = ScopedRepository<typeof FindingSchema>;

let db: IntegrationDatabase;
let repo: BaseRepository<typeof FindingSchema>;
let serial = 0;

function finding(rank: number | undefined, seen?: Date): Document {
  serial++;
  return {
    check_id: `check-${serial}`,
    account_id: "123456789012",
    resource_uid: `arn:aws:s3:::bucket-${serial}`,
    region: "eu-west-1",
    ...(rank === undefined ? {} : { severity_rank: rank }),
    ...(seen === undefined ? {} : { last_seen_at: seen }),
  };
}

/** Walks every page, running `between` after each page (concurrent writers), and returns the ids seen in order. */
async function walk(scope: Scope, options: { field: string; direction: "asc" | "desc"; limit: number }, between?: () => Promise<void>) {
  const ids: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const page: Page<Document> = await scope.paginate({
      sort: { field: options.field, direction: options.direction },
      limit: options.limit,
      cursor,
    });
    ids.push(...page.items.map((item) => (item._id as ObjectId).toHexString()));
    cursor = page.nextCursor;
    pages++;
    if (between) await between();
    expect(pages).toBeLessThan(10_000);
  } while (cursor !== null);
  return ids;
}

beforeAll(async () => {
  db = await openIntegrationDatabase();
  repo = new BaseRepository({ provider: db.provider, cursorSecret: "pagination-test-secret-0123456789" }, findings);
});

afterAll(async () => {
  await db?.dispose();
});

beforeEach(async () => {
  await db.raw("CLOUD_SECURITY", "prowler_findings").deleteMany({});
});

describe("keyset pagination", () => {
  it.each([
    ["_id", "asc"],
    ["_id", "desc"],
    ["severity_rank", "asc"],
    ["severity_rank", "desc"],
    ["last_seen_at", "desc"],
  ] as const)("by %s %s: no gaps or duplicates while others insert concurrently", async (field, direction) => {
    const scope = repo.forTeam("team-a");
    const base = Date.UTC(2024, 0, 1);
    // Duplicate sort values (rank % 7) and missing ones (every 11th) exercise the _id tie-break and null ordering.
    const seeded = await scope.insertMany(
      Array.from({ length: 230 }, (_, i) => finding(i % 11 === 0 ? undefined : i % 7, new Date(base + (i % 13) * 60_000)) as never),
    );
    await repo.forTeam("team-b").insertMany(Array.from({ length: 20 }, () => finding(3) as never));
    let concurrent = 0;
    const ids = await walk(scope, { field, direction, limit: 17 }, async () => {
      // Each page, other writers add documents with sort values before, inside and after the cursor.
      await scope.insertMany([finding(0) as never, finding(3) as never, finding(6) as never, finding(undefined) as never]);
      concurrent += 4;
    });
    expect(new Set(ids).size).toBe(ids.length);
    const seen = new Set(ids);
    for (const doc of seeded) expect(seen.has(doc._id.toHexString())).toBe(true);
    expect(ids.length).toBeGreaterThanOrEqual(seeded.length);
    expect(ids.length).toBeLessThanOrEqual(seeded.length + concurrent);
  });

  it("returns items in sort order with a null cursor on the last page", async () => {
    const scope = repo.forTeam("team-a");
    await scope.insertMany([finding(3), finding(1), finding(2), finding(undefined)] as never[]);
    const first = await scope.paginate({ sort: { field: "severity_rank", direction: "asc" }, limit: 2 });
    expect(first.items.map((d) => d.severity_rank ?? null)).toEqual([null, 1]);
    expect(first.nextCursor).not.toBeNull();
    const second = await scope.paginate({ sort: { field: "severity_rank", direction: "asc" }, limit: 2, cursor: first.nextCursor });
    expect(second.items.map((d) => d.severity_rank)).toEqual([2, 3]);
    expect(second.nextCursor).toBeNull();
    const filtered = await scope.paginate({
      filter: trustedFilter({ severity_rank: { $gte: 2 } }),
      sort: { field: "severity_rank", direction: "desc" },
    });
    expect(filtered.items.map((d) => d.severity_rank)).toEqual([3, 2]);
  });

  it("rejects tampered cursors, cursors of another team or sort, and bad limits", async () => {
    const scope = repo.forTeam("team-a");
    await scope.insertMany([finding(1), finding(2), finding(3)] as never[]);
    const { nextCursor } = await scope.paginate({ sort: { field: "severity_rank", direction: "asc" }, limit: 1 });
    expect(nextCursor).not.toBeNull();
    const cursor = nextCursor as string;
    const [body, tag] = cursor.split(".") as [string, string];
    const tampered = `${body.slice(0, -2)}${body.slice(-2) === "AA" ? "AB" : "AA"}.${tag}`;
    for (const bad of [tampered, `${body}.${tag.slice(1)}`, "garbage", `${Buffer.from('{"f":"_id"}').toString("base64url")}.${tag}`]) {
      await expect(scope.paginate({ sort: { field: "severity_rank", direction: "asc" }, cursor: bad })).rejects.toBeInstanceOf(
        ValidationError,
      );
    }
    await expect(repo.forTeam("team-b").paginate({ sort: { field: "severity_rank", direction: "asc" }, cursor })).rejects.toBeInstanceOf(
      ValidationError,
    );
    await expect(scope.paginate({ sort: { field: "severity_rank", direction: "desc" }, cursor })).rejects.toBeInstanceOf(ValidationError);
    await expect(scope.paginate({ sort: { field: "password", direction: "asc" } })).rejects.toBeInstanceOf(ValidationError);
    for (const limit of [0, 1001, 1.5]) await expect(scope.paginate({ limit })).rejects.toBeInstanceOf(ValidationError);
    const other = new BaseRepository({ provider: db.provider, cursorSecret: "another-secret-entirely-0123456789" }, findings);
    await expect(other.forTeam("team-a").paginate({ sort: { field: "severity_rank", direction: "asc" }, cursor })).rejects.toBeInstanceOf(
      ValidationError,
    );
  });

  it("keeps the sort key in projected pages", async () => {
    const scope = repo.forTeam("team-a");
    await scope.insertMany([finding(1), finding(2), finding(3)] as never[]);
    const page = await scope.paginate({ sort: { field: "severity_rank", direction: "asc" }, limit: 2, projection: { check_id: 1 } });
    expect(Object.keys(page.items[0] ?? {}).sort()).toEqual(["_id", "check_id", "severity_rank"]);
    const next = await scope.paginate({
      sort: { field: "severity_rank", direction: "asc" },
      limit: 2,
      projection: { check_id: 1 },
      cursor: page.nextCursor,
    });
    expect(next.items.map((d) => d.severity_rank)).toEqual([3]);
    await expect(scope.paginate({ projection: { _id: 0 } })).rejects.toBeInstanceOf(ValidationError);
    expect(ObjectId.isValid(String(page.items[0]?._id))).toBe(true);
  });
});
