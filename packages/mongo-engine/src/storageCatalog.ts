import type { Document } from "bson";
import { canonicalKey } from "./bsonOrder";
import { CommandError } from "./commandError";
import { CollectionStore } from "./collectionStore";

/** Thrown by a non-transactional write that touches a document locked by an open transaction. */
export class LockWaitSignal extends Error {
  constructor(readonly lockKey: string) {
    super(`waiting for lock ${lockKey}`);
    this.name = "LockWaitSignal";
  }
}

/** A change to base data, as change streams report it (see changeStreams.ts). */
export interface RawChange {
  readonly operationType: "insert" | "update" | "replace" | "delete" | "drop" | "rename" | "dropDatabase" | "unsupported";
  readonly db: string;
  readonly coll?: string;
  readonly doc?: Document;
  readonly previous?: Document;
  readonly to?: { readonly db: string; readonly coll: string };
  readonly txn?: { readonly lsid: unknown; readonly txnNumber: number };
  /** For `unsupported`: what the engine cannot report as mongod would. */
  readonly reason?: string;
}

/** How a stored document was rewritten: an operator/pipeline update or a whole replacement. */
export type ReplaceKind = "update" | "replace";

/** Lifecycle of a multi-document transaction. */
export type TransactionState = "inProgress" | "committed" | "aborted";

const TRANSIENT = ["TransientTransactionError"];

/** Builds the 112 WriteConflict error `withTransaction` retries. */
export function writeConflict(): CommandError {
  return new CommandError(
    112,
    "Caused by :: Write conflict during plan execution and yielding is disabled. :: Please retry your operation or multi-document transaction.",
    { errorLabels: TRANSIENT },
  );
}

function splitNs(ns: string): [string, string] {
  const dot = ns.indexOf(".");
  return [ns.slice(0, dot), ns.slice(dot + 1)];
}

function docLockKey(ns: string, idKey: string): string {
  return `d\u0000${ns}\u0000${idKey}`;
}

function uniqueLockKeys(store: CollectionStore, doc: Document): string[] {
  const out: string[] = [];
  for (const index of store.indexes) {
    if (!index.unique) continue;
    for (const k of index.keysOf(doc) ?? []) out.push(`u\u0000${store.ns}\u0000${index.spec.name}\u0000${k.key}`);
  }
  return out;
}

/** A multi-document transaction: a snapshot of the collections it saw plus its private writes. */
export class Transaction {
  state: TransactionState = "inProgress";
  lastActivity = Date.now();
  /** Private (or snapshot) copies of collections; `null` = did not exist at the snapshot. */
  readonly views = new Map<string, CollectionStore | null>();
  /** Document keys written per namespace. */
  readonly written = new Map<string, Set<string>>();
  readonly locks = new Set<string>();
  /** Namespaces whose private copy has diverged from the snapshot (written or DDL). */
  readonly dirty = new Set<string>();
  /** Documents rewritten by replacement (`ns\0idKey`), for the change events of the commit. */
  readonly replaced = new Set<string>();
  /** The session id the transaction runs in (change events carry it). */
  lsid: unknown;

  constructor(
    readonly lsidKey: string,
    readonly txnNumber: number,
    readonly startSeq: number,
  ) {}

  /** Keeps a snapshot of a base collection before the base changes. */
  capture(ns: string, base: CollectionStore | undefined): void {
    if (!this.views.has(ns)) this.views.set(ns, base ? base.clone() : null);
  }
}

/** Read/write access to collections, either the shared base state or a transaction's view of it. */
export interface StorageView {
  readonly transaction: Transaction | undefined;
  /** The collection as this view sees it. */
  collection(db: string, name: string): CollectionStore | undefined;
  /** Names of collections in a database. */
  collectionNames(db: string): string[];
  /** A collection to write to, created implicitly when missing. */
  writable(db: string, name: string): CollectionStore;
  insert(store: CollectionStore, doc: Document): void;
  replace(store: CollectionStore, idKey: string, doc: Document, kind?: ReplaceKind): void;
  remove(store: CollectionStore, idKey: string): void;
  /** Checks (without writing) that documents may be written now; throws LockWaitSignal/WriteConflict. */
  assertWritable(store: CollectionStore, idKeys: Iterable<string>): void;
}

/** All databases and collections of one engine, plus transaction bookkeeping. */
export class StorageCatalog {
  readonly databases = new Map<string, Map<string, CollectionStore>>();
  readonly activeTransactions = new Set<Transaction>();
  /** Point-in-time views kept for snapshot reads (`readConcern: {level: "snapshot"}`); see snapshotReads.ts. */
  readonly pointInTimeViews = new Set<Transaction>();
  /** Lock key -> transaction holding it. */
  readonly locks = new Map<string, Transaction>();
  private seq = 0;
  /** Changes made to base collections so far (documents, collections, databases). */
  mutations = 0;
  /** Receives every change to base data while change streams need them (see changeStreams.ts). */
  onChange: ((change: RawChange) => void) | undefined;
  private waiters: (() => void)[] = [];

  nextSeq(): number {
    this.seq += 1;
    return this.seq;
  }

  get currentSeq(): number {
    return this.seq;
  }

  get(db: string, name: string): CollectionStore | undefined {
    return this.databases.get(db)?.get(name);
  }

  /** Call before any change to a base collection: open transactions keep their snapshot. */
  beforeMutation(ns: string): void {
    this.mutations += 1;
    if (this.activeTransactions.size === 0 && this.pointInTimeViews.size === 0) return;
    const [db, name] = splitNs(ns);
    const base = this.get(db, name);
    for (const txn of this.activeTransactions) txn.capture(ns, base);
    for (const view of this.pointInTimeViews) view.capture(ns, base);
  }

  /** Creates (or returns) a base collection. */
  ensure(db: string, name: string): CollectionStore {
    let colls = this.databases.get(db);
    let store = colls?.get(name);
    if (store) return store;
    this.beforeMutation(`${db}.${name}`);
    if (!colls) {
      colls = new Map();
      this.databases.set(db, colls);
    }
    store = new CollectionStore(db, name);
    colls.set(name, store);
    return store;
  }

  /** Puts a whole collection in place (`$out`, `renameCollection`, a transaction's new collection). */
  install(store: CollectionStore, change?: RawChange): void {
    this.beforeMutation(store.ns);
    if (change) this.onChange?.(change);
    let colls = this.databases.get(store.db);
    if (!colls) {
      colls = new Map();
      this.databases.set(store.db, colls);
    }
    colls.set(store.name, store);
  }

  dropCollection(db: string, name: string, report = true): boolean {
    const colls = this.databases.get(db);
    if (!colls?.has(name)) return false;
    this.beforeMutation(`${db}.${name}`);
    if (report) this.onChange?.({ operationType: "drop", db, coll: name });
    colls.delete(name);
    if (colls.size === 0) this.databases.delete(db);
    return true;
  }

  dropDatabase(db: string): void {
    const colls = this.databases.get(db);
    if (!colls) return;
    for (const name of colls.keys()) {
      this.beforeMutation(`${db}.${name}`);
      this.onChange?.({ operationType: "drop", db, coll: name });
    }
    this.databases.delete(db);
    this.onChange?.({ operationType: "dropDatabase", db });
  }

  /** Resolves when some lock is released (or after `timeoutMs`). */
  waitForUnlock(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  releaseLocks(txn: Transaction): void {
    for (const key of txn.locks) if (this.locks.get(key) === txn) this.locks.delete(key);
    txn.locks.clear();
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  /** Aborts a transaction, discarding its writes. */
  abort(txn: Transaction): void {
    if (txn.state !== "inProgress") return;
    txn.state = "aborted";
    this.activeTransactions.delete(txn);
    txn.views.clear();
    this.releaseLocks(txn);
  }

  /** Commits a transaction: applies its writes to every collection (all or nothing). */
  commit(txn: Transaction): void {
    if (txn.state !== "inProgress") return;
    this.activeTransactions.delete(txn);
    const seq = this.nextSeq();
    const undo: (() => void)[] = [];
    const events: RawChange[] = [];
    const meta = { lsid: txn.lsid, txnNumber: txn.txnNumber };
    try {
      for (const ns of txn.dirty) {
        const [db, name] = splitNs(ns);
        const mine = txn.views.get(ns);
        if (!mine) continue;
        const base = this.get(db, name);
        if (!base) {
          const installed = mine.clone();
          for (const idKey of mine.docs.keys()) installed.stamps.set(idKey, seq);
          this.install(installed);
          undo.push(() => this.dropCollection(db, name, false));
          if (this.onChange) for (const doc of mine.docs.values()) events.push({ operationType: "insert", db, coll: name, doc, txn: meta });
          continue;
        }
        for (const index of mine.indexes) {
          if (!base.indexes.some((i) => i.spec.name === index.spec.name)) {
            this.beforeMutation(ns);
            const fresh = index.clone();
            fresh.clear();
            base.indexes.push(fresh);
            for (const [idKey, doc] of base.docs) fresh.add(idKey, fresh.keysOf(doc));
          }
        }
        const ids = txn.written.get(ns) ?? new Set<string>();
        const changes = new Map<string, Document | undefined>();
        const previous = new Map<string, Document | undefined>();
        for (const idKey of ids) {
          const now = mine.docs.get(idKey);
          const before = base.docs.get(idKey);
          changes.set(idKey, now);
          previous.set(idKey, before);
          if (!this.onChange || (now === undefined && before === undefined)) continue;
          if (before === undefined) events.push({ operationType: "insert", db, coll: name, doc: now as Document, txn: meta });
          else if (now === undefined) events.push({ operationType: "delete", db, coll: name, previous: before, txn: meta });
          else {
            const kind = txn.replaced.has(`${ns}\u0000${idKey}`) ? "replace" : "update";
            events.push({ operationType: kind, db, coll: name, doc: now, previous: before, txn: meta });
          }
        }
        this.beforeMutation(ns);
        base.applyChanges(changes, seq);
        undo.push(() => base.applyChanges(previous, seq));
      }
      txn.state = "committed";
      for (const event of events) this.onChange?.(event);
    } catch (error) {
      for (const u of undo.reverse()) u();
      txn.state = "aborted";
      this.releaseLocks(txn);
      throw error instanceof CommandError && error.code === 11000 ? writeConflict() : error;
    }
    txn.views.clear();
    this.releaseLocks(txn);
  }

  /** The shared (non-transactional) view. */
  baseView(): StorageView {
    return new BaseView(this);
  }

  /** A transaction's view. */
  transactionView(txn: Transaction): StorageView {
    return new TransactionView(this, txn);
  }

  /** Checks locks held by transactions against a non-transactional write. */
  assertUnlocked(keys: Iterable<string>): void {
    for (const key of keys) {
      const holder = this.locks.get(key);
      if (holder && holder.state === "inProgress") throw new LockWaitSignal(key);
    }
  }
}

class BaseView implements StorageView {
  readonly transaction = undefined;

  constructor(private readonly catalog: StorageCatalog) {}

  collection(db: string, name: string): CollectionStore | undefined {
    return this.catalog.get(db, name);
  }

  collectionNames(db: string): string[] {
    return [...(this.catalog.databases.get(db)?.keys() ?? [])];
  }

  writable(db: string, name: string): CollectionStore {
    return this.catalog.ensure(db, name);
  }

  private check(store: CollectionStore, idKey: string, doc: Document | undefined): void {
    if (this.catalog.locks.size === 0) return;
    const keys = [docLockKey(store.ns, idKey)];
    if (doc) keys.push(...uniqueLockKeys(store, doc));
    this.catalog.assertUnlocked(keys);
  }

  assertWritable(store: CollectionStore, idKeys: Iterable<string>): void {
    if (this.catalog.locks.size === 0) return;
    this.catalog.assertUnlocked([...idKeys].map((k) => docLockKey(store.ns, k)));
  }

  insert(store: CollectionStore, doc: Document): void {
    this.check(store, canonicalKey(doc._id), doc);
    this.catalog.beforeMutation(store.ns);
    store.insert(doc, this.catalog.nextSeq());
    this.catalog.onChange?.({ operationType: "insert", db: store.db, coll: store.name, doc });
  }

  replace(store: CollectionStore, idKey: string, doc: Document, kind: ReplaceKind = "update"): void {
    this.check(store, idKey, doc);
    this.catalog.beforeMutation(store.ns);
    const previous = store.docs.get(idKey);
    store.replace(idKey, doc, this.catalog.nextSeq());
    this.catalog.onChange?.({ operationType: kind, db: store.db, coll: store.name, doc, ...(previous ? { previous } : {}) });
  }

  remove(store: CollectionStore, idKey: string): void {
    this.check(store, idKey, undefined);
    this.catalog.beforeMutation(store.ns);
    const previous = store.delete(idKey, this.catalog.nextSeq());
    if (previous) this.catalog.onChange?.({ operationType: "delete", db: store.db, coll: store.name, previous });
  }
}

class TransactionView implements StorageView {
  constructor(
    private readonly catalog: StorageCatalog,
    readonly transaction: Transaction,
  ) {}

  collection(db: string, name: string): CollectionStore | undefined {
    const ns = `${db}.${name}`;
    if (this.transaction.views.has(ns)) return this.transaction.views.get(ns) ?? undefined;
    return this.catalog.get(db, name);
  }

  collectionNames(db: string): string[] {
    const names = new Set(this.catalog.databases.get(db)?.keys() ?? []);
    for (const [ns, store] of this.transaction.views) {
      const [d, n] = splitNs(ns);
      if (d !== db) continue;
      if (store) names.add(n);
      else names.delete(n);
    }
    return [...names];
  }

  writable(db: string, name: string): CollectionStore {
    const ns = `${db}.${name}`;
    const txn = this.transaction;
    if (!txn.views.has(ns)) txn.capture(ns, this.catalog.get(db, name));
    let store = txn.views.get(ns);
    if (!store) {
      store = new CollectionStore(db, name);
      txn.views.set(ns, store);
    }
    txn.dirty.add(ns);
    return store;
  }

  private lock(key: string): void {
    const holder = this.catalog.locks.get(key);
    if (holder && holder !== this.transaction && holder.state === "inProgress") throw writeConflict();
    this.catalog.locks.set(key, this.transaction);
    this.transaction.locks.add(key);
  }

  private claim(store: CollectionStore, idKey: string, doc: Document | undefined): void {
    const base = this.catalog.get(store.db, store.name);
    const stamp = base?.stamps.get(idKey);
    if (stamp !== undefined && stamp > this.transaction.startSeq) throw writeConflict();
    this.lock(docLockKey(store.ns, idKey));
    if (doc) {
      for (const key of uniqueLockKeys(store, doc)) this.lock(key);
      if (base) {
        for (const index of base.indexes) {
          if (!index.unique) continue;
          for (const k of index.keysOf(doc) ?? []) {
            for (const holder of index.entries.get(k.key) ?? []) {
              const holderStamp = base.stamps.get(holder);
              if (holder !== idKey && holderStamp !== undefined && holderStamp > this.transaction.startSeq) throw writeConflict();
            }
          }
        }
      }
    }
    let set = this.transaction.written.get(store.ns);
    if (!set) {
      set = new Set();
      this.transaction.written.set(store.ns, set);
    }
    set.add(idKey);
  }

  assertWritable(store: CollectionStore, idKeys: Iterable<string>): void {
    const base = this.catalog.get(store.db, store.name);
    for (const idKey of idKeys) {
      const stamp = base?.stamps.get(idKey);
      if (stamp !== undefined && stamp > this.transaction.startSeq) throw writeConflict();
      const holder = this.catalog.locks.get(docLockKey(store.ns, idKey));
      if (holder && holder !== this.transaction && holder.state === "inProgress") throw writeConflict();
    }
  }

  insert(store: CollectionStore, doc: Document): void {
    const idKey = canonicalKey(doc._id);
    store.insert(doc, this.catalog.currentSeq);
    try {
      this.claim(store, idKey, doc);
    } catch (error) {
      store.delete(idKey, this.catalog.currentSeq);
      throw error;
    }
  }

  replace(store: CollectionStore, idKey: string, doc: Document, kind: ReplaceKind = "update"): void {
    this.claim(store, idKey, doc);
    store.replace(idKey, doc, this.catalog.currentSeq);
    const key = `${store.ns}\u0000${idKey}`;
    if (kind === "replace") this.transaction.replaced.add(key);
    else this.transaction.replaced.delete(key);
  }

  remove(store: CollectionStore, idKey: string): void {
    this.claim(store, idKey, undefined);
    store.delete(idKey, this.catalog.currentSeq);
  }
}
