import { describe, expect, it } from "vitest";
import { useHarness } from "../conformanceHarness";

const h = useHarness("colls");

describe("collections and databases", () => {
  it("lists collections with filter and nameOnly", async () => {
    const db = h.db("listing");
    await db.createCollection("alpha");
    await db.collection("beta").insertOne({ x: 1 });
    await db.createCollection("gamma", { validator: { $jsonSchema: { required: ["x"] } } });
    const names = (await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name).sort();
    expect(names).toEqual(["alpha", "beta", "gamma"]);
    const filtered = await db.listCollections({ name: "gamma" }).toArray();
    expect(filtered).toHaveLength(1);
    expect(filtered[0]).toMatchObject({ name: "gamma", type: "collection", options: { validator: { $jsonSchema: { required: ["x"] } } } });
    expect(await db.listCollections({ name: /^a/ }, { nameOnly: true }).toArray()).toEqual([{ name: "alpha", type: "collection" }]);
  });

  it("create fails on an existing collection with 48; drop of a missing one succeeds", async () => {
    const db = h.db("create");
    await db.createCollection("once");
    await expect(db.createCollection("once")).rejects.toMatchObject({ code: 48 });
    expect(
      await db
        .collection("never_made")
        .drop()
        .catch(() => false),
    ).toBeDefined();
    expect(await db.collection("once").drop()).toBe(true);
  });

  it("renames collections, keeping documents and indexes", async () => {
    const db = h.db("rename");
    const source = db.collection("source");
    await source.insertMany([{ a: 1 }, { a: 2 }]);
    await source.createIndex({ a: 1 }, { unique: true });
    await source.rename("target");
    const target = db.collection("target");
    expect(await target.countDocuments()).toBe(2);
    expect((await target.listIndexes().toArray()).map((i) => i.name)).toEqual(["_id_", "a_1"]);
    await expect(target.insertOne({ a: 1 })).rejects.toMatchObject({ code: 11000 });
    expect((await db.listCollections({ name: "source" }).toArray()).length).toBe(0);
    await expect(db.collection("missing").rename("whatever")).rejects.toMatchObject({ code: 26 });
    await db.collection("other").insertOne({ z: 1 });
    await expect(target.rename("other")).rejects.toMatchObject({ code: 48 });
    await target.rename("other", { dropTarget: true });
    expect(await db.collection("other").countDocuments()).toBe(2);
  });

  it("validates documents with $jsonSchema validators (121)", async () => {
    const db = h.db("validate");
    const people = await db.createCollection("people", {
      validator: {
        $jsonSchema: {
          bsonType: "object",
          required: ["name", "age"],
          properties: { name: { bsonType: "string" }, age: { bsonType: "int", minimum: 0 } },
        },
      },
    });
    await people.insertOne({ name: "ok", age: 3 });
    await expect(people.insertOne({ name: "no age" })).rejects.toMatchObject({ code: 121 });
    await expect(people.insertOne({ name: "neg", age: -1 })).rejects.toMatchObject({ code: 121 });
    await expect(people.updateOne({ name: "ok" }, { $set: { age: "three" } })).rejects.toMatchObject({ code: 121 });
    await people.insertOne({ name: "bypass" }, { bypassDocumentValidation: true });
    expect(await people.countDocuments()).toBe(2);
  });

  it("lists and drops databases", async () => {
    const a = h.db("dbone");
    await a.collection("c").insertOne({ x: 1 });
    const list = await h.client().db("admin").admin().listDatabases({ nameOnly: true });
    expect(list.databases.map((d) => d.name)).toContain(`${h.prefix}dbone`);
    await a.dropDatabase();
    const after = await h.client().db("admin").admin().listDatabases({ nameOnly: true });
    expect(after.databases.map((d) => d.name)).not.toContain(`${h.prefix}dbone`);
  });

  it("answers ping, buildInfo and serverStatus", async () => {
    const admin = h.client().db("admin");
    expect(await admin.command({ ping: 1 })).toMatchObject({ ok: 1 });
    const info = await admin.command({ buildInfo: 1 });
    expect(typeof info.version).toBe("string");
    expect(Array.isArray(info.versionArray)).toBe(true);
  });
});

describe("clustered collections and local sessions", () => {
  it("creates a clustered collection: listCollections and listIndexes show the clustered index, documents come in _id order", async () => {
    const db = h.db("clustered");
    await db.createCollection("c", { clusteredIndex: { key: { _id: 1 }, unique: true, name: "by id" } });
    const [info] = await db.listCollections({ name: "c" }).toArray();
    expect(info?.options).toMatchObject({ clusteredIndex: { key: { _id: 1 }, unique: true, name: "by id", v: 2 } });
    expect(await db.collection("c").listIndexes().toArray()).toEqual([
      { v: 2, key: { _id: 1 }, name: "by id", unique: true, clustered: true },
    ]);
    await db.collection("c").insertMany([{ _id: 3 }, { _id: 1 }, { _id: 2 }] as never[]);
    expect((await db.collection("c").find().toArray()).map((d) => d._id)).toEqual([1, 2, 3]);
    await expect(db.createCollection("bad", { clusteredIndex: { key: { a: 1 }, unique: true } })).rejects.toBeInstanceOf(Error);
  });

  it("lists sessions the server has seen with $listLocalSessions", async () => {
    const [first] = await h
      .client()
      .db("admin")
      .aggregate([{ $listLocalSessions: {} }, { $limit: 1 }])
      .toArray();
    expect(first?._id).toHaveProperty("id");
    expect(first?.lastUse).toBeInstanceOf(Date);
  });
});
