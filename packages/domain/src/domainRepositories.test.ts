import { DatabaseRegistry } from "@cspm/registry";
import { RepositoryFactory, RESERVED_FIELDS } from "@cspm/repository";
import { describe, expect, it } from "vitest";
import * as domain from "./index";
import { TENANT_DOCUMENT_META_SHAPE } from "./common/documentSchema";
import { DOMAIN_REPOSITORIES } from "./domainRepositories";

/** A provider that refuses to hand out anything: constructing repositories must not touch the database. */
const provider = {
  getCollection(): never {
    throw new Error("no database in this test");
  },
};

describe("DOMAIN_REPOSITORIES", () => {
  it("binds every repository to a collection its database owns", () => {
    for (const R of DOMAIN_REPOSITORIES) {
      const { database, collection } = R.definition;
      expect(DatabaseRegistry.owns(database, collection), `${R.name}: ${String(database)}.${collection}`).toBe(true);
      expect(DatabaseRegistry.ownerOf(collection).key).toBe(DatabaseRegistry.resolve(database).key);
      expect(collection).not.toBe("cloud_accounts");
    }
  });

  it("has exactly one repository per registered collection", () => {
    const bound = DOMAIN_REPOSITORIES.map((R) => `${DatabaseRegistry.resolve(R.definition.database).key}.${R.definition.collection}`);
    // Collections another package manages alone (the migration ledger and lock) have no domain repository.
    const registered = DatabaseRegistry.all().flatMap((d) =>
      d.collections.filter((c) => !("managedBy" in c)).map((c) => `${d.key}.${c.name}`),
    );
    expect(new Set(bound).size).toBe(bound.length);
    expect([...bound].sort()).toEqual([...registered].sort());
  });

  it("lists every repository class the package exports, and only those", () => {
    const exported = Object.entries(domain)
      .filter(([name, value]) => typeof value === "function" && name.endsWith("Repository") && name !== "LifecycleRepository")
      .map(([, value]) => value);
    expect(new Set(exported)).toEqual(new Set(DOMAIN_REPOSITORIES));
  });

  it("builds every repository through RepositoryFactory, with the registry's tenancy and a matching schema", () => {
    const factory = new RepositoryFactory({ provider });
    for (const R of DOMAIN_REPOSITORIES) {
      const repo = factory.get(R);
      const { database, collection, schema } = R.definition;
      const tenantOwned = DatabaseRegistry.getCollection(database, collection).tenantOwned;
      expect(repo.tenantOwned, R.name).toBe(tenantOwned);
      expect(repo.key).toBe(`${DatabaseRegistry.resolve(database).key}.${collection}`);
      expect("team_id" in schema.shape, `${R.name} schema team_id`).toBe(tenantOwned);
      expect(factory.get(R)).toBe(repo);
    }
  });

  it("never uses a reserved system field (_id, team_id, created_at, updated_at, version, deleted_at) as a domain field", () => {
    for (const R of DOMAIN_REPOSITORIES) {
      const shape = R.definition.schema.shape as Record<string, unknown>;
      for (const field of RESERVED_FIELDS) {
        if (field in shape) expect(shape[field], `${R.name}.${field}`).toBe(TENANT_DOCUMENT_META_SHAPE[field]);
      }
    }
  });
});
