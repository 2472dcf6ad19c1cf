import { randomBytes } from "node:crypto";
import type { CollectionProvider } from "./collectionProvider";
import { BaseRepository } from "./baseRepository";
import type { ObjectSchema, RepositoryContext, RepositoryDefinition } from "./repositoryDefinition";

/** A repository class the factory can build: its constructor takes only the shared context. */
export type RepositoryClass<R extends BaseRepository<any>> = new (context: RepositoryContext) => R;

/**
 * Builds repositories from one `CollectionProvider` (normally the `CSPMDatabaseManager`) and caches them:
 * one instance per repository class, or per definition object for plain `BaseRepository`s. Holds the
 * cursor secret every repository it builds shares (random per factory when not configured).
 * `get` throws what the repository constructor throws (`VALIDATION_FAILED`, `CONTRACT_VIOLATION`).
 * @example const findings = factory.get(ProwlerFindingRepository);
 */
export class RepositoryFactory {
  readonly #context: RepositoryContext;
  readonly #cache = new Map<object, unknown>();

  constructor(context: RepositoryContext) {
    this.#context = { provider: context.provider, cursorSecret: context.cursorSecret ?? randomBytes(32) };
  }

  /** The provider every repository of this factory reads collections from. */
  get provider(): CollectionProvider {
    return this.#context.provider;
  }

  /** The context handed to repository constructors (provider + cursor secret). */
  get context(): RepositoryContext {
    return this.#context;
  }

  /** The cached instance of a repository class, or of a plain repository for a definition. */
  get<R extends BaseRepository<any>>(repository: RepositoryClass<R>): R;
  get<S extends ObjectSchema>(definition: RepositoryDefinition<S>): BaseRepository<S>;
  get(target: RepositoryClass<BaseRepository<ObjectSchema>> | RepositoryDefinition<ObjectSchema>): BaseRepository<ObjectSchema> {
    const cached = this.#cache.get(target);
    if (cached !== undefined) return cached as BaseRepository<ObjectSchema>;
    const repository = typeof target === "function" ? new target(this.#context) : new BaseRepository(this.#context, target);
    this.#cache.set(target, repository);
    return repository;
  }

  /** True when `get` has already built this repository. */
  has(target: object): boolean {
    return this.#cache.has(target);
  }
}
