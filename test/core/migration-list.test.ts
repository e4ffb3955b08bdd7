import { describe, expect, it } from "vitest";
import { migrationList } from "../../src/core/migration-list.ts";
import type { StoredMigration } from "../../src/core/state-store.ts";

const PLAIN = { dataDefinition: false, dataManipulation: false, cleanup: false, sqlTransforms: [] };
const file = (index: number, name: string, checksum: string) => ({ index, name, checksum, tables: ["t"], traits: PLAIN });
const ran = { startedAt: 1_000, finishedAt: 3_000, finalizedAt: 5_000, rowsMoved: 2000, lockWindowMs: 12.5 };

describe("migrationList", () => {
  it("lists a file that never ran as migration_required, with the checksum of the file now and no times", () => {
    expect(migrationList([file(1, "0001_a", "sum-a")], [])).toEqual([
      { index: 1, name: "0001_a", state: "migration_required", checksum: "sum-a", startedAt: null, finishedAt: null, finalizedAt: null, rowsMoved: 0, lockWindowMs: null, fileChanged: false },
    ]);
  });

  it("lists a recorded run with its times and rows, and file_changed only when the file's checksum differs from the record's", () => {
    const records: StoredMigration[] = [
      { index: 1, name: "0001_a", checksum: "sum-a", state: "finalized", ...ran },
      { index: 2, name: "0002_b", checksum: "old-b", state: "finalization_required", ...ran, finalizedAt: null, lockWindowMs: null },
    ];
    const list = migrationList([file(1, "0001_a", "sum-a"), file(2, "0002_b", "new-b")], records);
    expect(list.map((m) => [m.index, m.state, m.checksum, m.fileChanged])).toEqual([
      [1, "finalized", "sum-a", false],
      [2, "finalization_required", "old-b", true],
    ]);
    expect(list[0]).toMatchObject({ startedAt: 1_000, finishedAt: 3_000, finalizedAt: 5_000, rowsMoved: 2000, lockWindowMs: 12.5 });
    expect(list[1]).toMatchObject({ finalizedAt: null, lockWindowMs: null });
  });

  it("keeps a recorded migration whose file is gone, marked changed, in index order among the files", () => {
    const records: StoredMigration[] = [{ index: 2, name: "0002_gone", checksum: "sum-gone", state: "finalized", ...ran }];
    const list = migrationList([file(1, "0001_a", "sum-a"), file(3, "0003_c", "sum-c")], records);
    expect(list.map((m) => [m.index, m.name, m.state, m.fileChanged])).toEqual([
      [1, "0001_a", "migration_required", false],
      [2, "0002_gone", "finalized", true],
      [3, "0003_c", "migration_required", false],
    ]);
  });

  it("shows a migration waiting to migrate again (a record in migration_required) with the file now: an edit is what it will run", () => {
    const records: StoredMigration[] = [{ index: 1, name: "0001_a", checksum: "old", state: "migration_required", startedAt: null, finishedAt: null, finalizedAt: null, rowsMoved: 0, lockWindowMs: null }];
    expect(migrationList([file(1, "0001_a", "new")], records)[0]).toMatchObject({ state: "migration_required", checksum: "new", fileChanged: false });
  });
});
