import { describe, expect, it } from "vitest";
import { redactConnectionString, scrubConnectionStrings, summarizeConnectionString } from "./redactConnectionString";

describe("summarizeConnectionString", () => {
  it.each([
    ["mongodb://127.0.0.1:27017", "mongodb", ["127.0.0.1:27017"]],
    [
      "mongodb://user:pa%40ss@a.example:27017,b.example:27018/db?replicaSet=rs0&w=majority",
      "mongodb",
      ["a.example:27017", "b.example:27018"],
    ],
    ["mongodb+srv://user:pw@cluster0.abcde.mongodb.net/?retryWrites=true", "mongodb+srv", ["cluster0.abcde.mongodb.net"]],
    ["mongodb://[::1]:27017/", "mongodb", ["[::1]:27017"]],
    ["mongodb://%2Ftmp%2Fmongodb-27017.sock", "mongodb", ["%2Ftmp%2Fmongodb-27017.sock"]],
  ])("reads the hosts of %s", (uri, scheme, hosts) => {
    expect(summarizeConnectionString(uri)).toEqual({ scheme, hosts });
  });

  it.each([
    // unescaped "/" or "?" in the password: what looks like a host is part of the password
    "mongodb://user:pa/ss@host:27017/",
    "mongodb://user:pa?ss@host:27017/",
    "mongodb://user:p#ss@host",
  ])("names no host when the user info is malformed (%s)", (uri) => {
    const summary = summarizeConnectionString(uri);
    expect(summary.hosts.join()).not.toMatch(/pa|ss|user/);
  });

  it("names nothing for a string without a scheme", () => {
    expect(summarizeConnectionString("localhost:27017")).toEqual({ scheme: undefined, hosts: [] });
  });
});

describe("redactConnectionString", () => {
  it("keeps only scheme and hosts", () => {
    expect(redactConnectionString("mongodb://admin:hunter2@h1:1,h2:2/db?authSource=admin&tlsCertificateKeyFilePassword=x")).toBe(
      "mongodb://h1:1,h2:2",
    );
    expect(redactConnectionString("garbage")).toBe("<invalid connection string>");
  });

  it("scrubs connection strings inside free text", () => {
    const text = 'Invalid connection string "mongodb://root:s3cret@db:27017/admin" (see docs)';
    const scrubbed = scrubConnectionStrings(text);
    expect(scrubbed).toBe('Invalid connection string "mongodb://db:27017" (see docs)');
  });
});

describe("summarizeConnectionString with an unescaped delimiter in the password", () => {
  it("names no host rather than a piece of the password", () => {
    expect(summarizeConnectionString("mongodb://admin:p@ss/w0rd@db.example:27017").hosts).toEqual([]);
    expect(redactConnectionString("mongodb://admin:p@ss/w0rd@db.example:27017")).toBe("<invalid connection string>");
  });
});
