import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DomainTestContext, openDomainTestContext } from "../testing/openDomainTestContext";
import { CloudResourceRepository, type DiscoveredResource } from "./cloudResourceRepository";
import { ResourceRelationshipRepository } from "./resourceRelationshipRepository";

const A = "team-a";
const B = "team-b";
const T0 = new Date("2025-01-01T00:00:00Z");
const T1 = new Date("2025-01-02T00:00:00Z");

let ctx: DomainTestContext;

beforeAll(async () => {
  ctx = await openDomainTestContext(["INVENTORY"]);
});

afterAll(async () => {
  await ctx?.dispose();
});

function resource(i: number, type = "AwsS3Bucket"): DiscoveredResource {
  return {
    provider: "aws",
    account_id: "123456789012",
    resource_uid: `arn:aws:s3:::b${i}`,
    resource_type: type,
    region: "us-east-1",
    tags: [{ key: "env", value: i % 2 ? "prod" : "dev" }],
  };
}

describe("inventory repositories", () => {
  it("discovery upserts by (account, resource_uid), keeps first_seen_at, counts per type, finds stale ones", async () => {
    const resources = ctx.factory.get(CloudResourceRepository);
    const batch = [resource(1), resource(2), resource(3, "AwsEc2Instance")];
    expect(await resources.upsertDiscovered(A, batch, { seenAt: T0 })).toMatchObject({ inserted: 3 });
    expect(await resources.upsertDiscovered(A, batch.slice(0, 2), { seenAt: T1 })).toMatchObject({ inserted: 0, updated: 2 });
    await resources.upsertDiscovered(B, [resource(9)], { seenAt: T0 });

    const [first] = await resources.findByType(A, "AwsS3Bucket");
    expect(first).toMatchObject({ first_seen_at: T0, last_seen_at: T1 });
    expect(await resources.countByType(A)).toEqual([
      { resource_type: "AwsS3Bucket", count: 2 },
      { resource_type: "AwsEc2Instance", count: 1 },
    ]);
    expect((await resources.findStale(A, "123456789012", T1)).map((r) => r.resource_uid)).toEqual(["arn:aws:s3:::b3"]);
    expect((await resources.findByTag(A, { key: "env", value: "prod" })).map((r) => r.resource_uid)).toEqual([
      "arn:aws:s3:::b1",
      "arn:aws:s3:::b3",
    ]);
    expect(await resources.countByType(B)).toEqual([{ resource_type: "AwsS3Bucket", count: 1 }]);
  });

  it("discovery costs one command per batch and never resets first_seen_at, even when two imports race", async () => {
    const resources = ctx.factory.get(CloudResourceRepository);
    const raw = ctx.raw("INVENTORY", "cloud_resources");
    await raw.deleteMany({});
    const batch = Array.from({ length: 20 }, (_, i) => resource(100 + i));
    const first = await ctx.monitor.measure(() => resources.upsertDiscovered(A, batch, { seenAt: T0 }));
    expect(first.result).toMatchObject({ inserted: 20, errors: [] });
    expect(first.commands.map((c) => c.name)).toEqual(["update"]);
    const again = await ctx.monitor.measure(() => resources.upsertDiscovered(A, batch, { seenAt: T0 }));
    expect(again.result).toMatchObject({ unchanged: 20 });
    expect(again.commands.map((c) => c.name)).toEqual(["update"]);
    await Promise.all([
      resources.upsertDiscovered(A, batch, { seenAt: T1 }),
      resources.upsertDiscovered(A, batch, { seenAt: new Date(T1.getTime() + 1) }),
    ]);
    expect(await raw.countDocuments({ team_id: A, first_seen_at: T0, resource_uid: { $in: batch.map((r) => r.resource_uid) } })).toBe(20);
  });

  it("relationships: neighbours in both directions, per team", async () => {
    const edges = ctx.factory.get(ResourceRelationshipRepository);
    await edges.upsertEdges(A, [
      { source_uid: "i-1", target_uid: "sg-1", relationship: "attached_to", discovered_at: T0 },
      { source_uid: "vpc-1", target_uid: "i-1", relationship: "contains", discovered_at: T0 },
    ]);
    await edges.upsertEdges(B, [{ source_uid: "i-1", target_uid: "sg-9", relationship: "attached_to", discovered_at: T0 }]);
    expect((await edges.neighbours(A, "i-1")).map((e) => e.relationship).sort()).toEqual(["attached_to", "contains"]);
    expect((await edges.outgoing(B, "i-1")).map((e) => e.target_uid)).toEqual(["sg-9"]);
    expect(await edges.incoming(B, "i-1")).toEqual([]);
  });
});
