import { describe, expect, it } from "vitest";
import { EPOCH_GENERATION } from "./generationStamps";
import { InvalidationJournal } from "./invalidationJournal";

describe("InvalidationJournal", () => {
  it("keeps unconfirmed generations until a bump of them is confirmed", () => {
    const journal = new InvalidationJournal();
    journal.record(["g:a", "g:b"]);
    journal.record(["g:b"]);
    expect(journal.size).toBe(2);
    const snapshot = journal.snapshot();
    expect([...snapshot.generations].sort()).toEqual(["g:a", "g:b"]);
    journal.confirm(snapshot, ["g:a"]);
    expect(journal.snapshot().generations).toEqual(["g:b"]);
    journal.confirm(journal.snapshot(), ["g:b", "g:never-recorded"]);
    expect(journal.size).toBe(0);
  });

  it("a generation that failed again after the snapshot stays: the confirmed bump may predate that write", () => {
    const journal = new InvalidationJournal();
    journal.record(["g:a"]);
    const snapshot = journal.snapshot();
    journal.record(["g:a"]); // a later write's invalidation failed while the replay was on the wire
    journal.confirm(snapshot, ["g:a"]);
    expect(journal.snapshot().generations).toEqual(["g:a"]);
    journal.confirm(journal.snapshot(), ["g:a"]);
    expect(journal.size).toBe(0);
  });

  it("collapses to the epoch beyond its bound, and keeps generations recorded after the epoch", () => {
    const journal = new InvalidationJournal(3);
    journal.record(["g:1", "g:2", "g:3"]);
    expect(journal.size).toBe(3);
    journal.record(["g:4"]);
    expect(journal.snapshot().generations).toEqual([EPOCH_GENERATION]);
    const snapshot = journal.snapshot();
    journal.record(["g:5"]);
    journal.confirm(snapshot, [EPOCH_GENERATION]);
    expect(journal.snapshot().generations).toEqual(["g:5"]);
  });
});
