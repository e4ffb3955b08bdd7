import { afterEach, describe, expect, it } from "vitest";
import { BatchLines } from "../../src/engine/batch-lines.ts";
import { EngineFixture } from "../helpers/migration-fixtures.ts";

/** 1,200 rows: with ranges of 100 rows the last range found after the 12th is empty. */
const ITEMS = `
CREATE TABLE item (id INTEGER PRIMARY KEY, label TEXT NOT NULL);
CREATE TABLE note (id INTEGER PRIMARY KEY, body TEXT NOT NULL);
INSERT INTO item (label) WITH RECURSIVE n(v) AS (SELECT 1 UNION ALL SELECT v + 1 FROM n WHERE v < 1200) SELECT 'item ' || v FROM n;
INSERT INTO note (body) WITH RECURSIVE n(v) AS (SELECT 1 UNION ALL SELECT v + 1 FROM n WHERE v < 250) SELECT 'note ' || v FROM n;
`;

let fx: EngineFixture;
afterEach(async () => fx?.dispose());

/** The output's lines with durations masked, so the sequence can be compared whole. */
function lines(output: string): string[] {
  return output.trimEnd().split("\n").map((line) => line.replace(/\d+(\.\d+)? ms\b/g, "T ms"));
}

describe("verbose output of a migrate", () => {
  it("has no line for an empty range, numbers batches in order, and tells each table's story in the order it happened", async () => {
    fx = new EngineFixture(ITEMS);
    // Stream route (no dataDefinition: copy and transform in one pass).
    fx.write("0001_upper_item.mjs", `export default { tables: ["item"], transform: { item: (row) => ({ ...row, label: row.label.toUpperCase() }) } };`);
    // In-place route (copy, dataDefinition, then transform the copy), on two tables.
    fx.write(
      "0002_tag_both.mjs",
      `export default {
        tables: ["note", "item"],
        async dataDefinition(db) { await db.exec("ALTER TABLE note ADD COLUMN tag TEXT; ALTER TABLE item ADD COLUMN tag TEXT"); },
        transform: { note: (row) => ({ ...row, tag: "n" }), item: (row) => ({ ...row, tag: "i" }) },
      };`,
    );
    const run = await fx.run("migrate", { batchRows: 100, verbose: true, workers: 2 });
    expect(run.exception).toBeNull();
    const output = run.snapshot.command.output;
    expect(output).not.toMatch(/\b0 rows\b/);
    const batches = (migration: string, table: string, sizes: number[]) =>
      sizes.map((rows, i) => `migration ${migration}: transformed batch ${i + 1} of "${table}" (${rows} rows)`);
    expect(lines(output)).toEqual([
      "migration started",
      "migration 0001_upper_item: started",
      ...batches("0001_upper_item", "item", Array(12).fill(100)),
      'migration 0001_upper_item: transformed 1200 rows of "item"',
      'migration 0001_upper_item: transform of "item" took T ms in 12 batches',
      'migration 0001_upper_item: copied table "item" (1200 rows) through its transform',
      "migration 0001_upper_item: done",
      "migration 0001_upper_item: took T ms",
      "migration 0002_tag_both: started",
      'migration 0002_tag_both: copied table "note" (250 rows)',
      'migration 0002_tag_both: copy of "note" took T ms',
      "migration 0002_tag_both: dataDefinition took T ms",
      ...batches("0002_tag_both", "note", [100, 100, 50]),
      'migration 0002_tag_both: transformed 250 rows of "note"',
      'migration 0002_tag_both: transform of "note" took T ms in 3 batches',
      ...batches("0002_tag_both", "item", Array(12).fill(100)),
      'migration 0002_tag_both: transformed 1200 rows of "item"',
      'migration 0002_tag_both: transform of "item" took T ms in 12 batches',
      "migration 0002_tag_both: done",
      "migration 0002_tag_both: took T ms",
      "migration: finalize prerequisites ok (the views, triggers and foreign keys over the migrated tables fit their new shape)",
      "migration finished",
    ]);
  });
});

describe("BatchLines", () => {
  it("emits in range order whatever order ranges land in, skipping and not numbering empty ones", () => {
    const emitted: string[] = [];
    const lines = new BatchLines((batch, rows) => emitted.push(`${batch}:${rows}`));
    lines.land(2, 0);
    lines.land(3, 7);
    expect(emitted).toEqual([]);
    lines.land(1, 5);
    expect(emitted).toEqual(["1:5", "2:7"]);
    lines.land(5, 0);
    lines.land(4, 3);
    expect(emitted).toEqual(["1:5", "2:7", "3:3"]);
    expect(lines.batches).toBe(3);
  });
});

describe("the lock window of a finalize", () => {
  const UPPER = `export default { tables: ["item"], transform: { item: (row) => ({ ...row, label: row.label.toUpperCase() }) } };`;

  it("verbose: comes after the swap's lines (it includes the COMMIT), just before `finalization finished`, which stays last; the records keep it", async () => {
    fx = new EngineFixture(ITEMS);
    fx.write("0001_upper_item.mjs", UPPER);
    expect((await fx.run("migrate")).exception).toBeNull();
    const run = await fx.run("finalize", { verbose: true });
    expect(run.exception).toBeNull();
    expect(lines(run.snapshot.command.output)).toEqual([
      "finalization started",
      'finalization: swapped in table "item"',
      "finalization 0001_upper_item: finalized",
      "finalization: lock window T ms",
      "finalization finished",
    ]);
    const window = Number(/^finalization: lock window ([\d.]+) ms$/m.exec(run.snapshot.command.output)![1]);
    const [record] = run.snapshot.migrations;
    expect(record).toMatchObject({ state: "finalized" });
    expect(record!.lockWindowMs).toBeGreaterThan(0);
    expect(window).toBe(Number(record!.lockWindowMs! < 10 ? record!.lockWindowMs!.toFixed(1) : Math.round(record!.lockWindowMs!)));
    expect(run.heard.at(-1)).toBe(`finalization: lock window ${window} ms\n`);
  });

  it("quiet: stays out of the output, reaches the records and the listener", async () => {
    fx = new EngineFixture(ITEMS);
    fx.write("0001_upper_item.mjs", UPPER);
    const run = await fx.run("finalize");
    expect(run.exception).toBeNull();
    expect(run.snapshot.command.output).not.toContain("lock window");
    expect(run.snapshot.migrations[0]!.lockWindowMs).toBeGreaterThan(0);
    expect(run.heard.filter((line) => line.startsWith("finalization: lock window"))).toHaveLength(1);
  });

  it("a failure to record it leaves the finalize finalized, and tells the listener", async () => {
    fx = new EngineFixture(ITEMS);
    fx.write("0001_upper_item.mjs", UPPER);
    expect((await fx.run("migrate")).exception).toBeNull();
    // A real failure of the write after the COMMIT: the database refuses the lock window (the swap's own record write keeps it null).
    fx.origin.exec(`CREATE TRIGGER refuse_lock_window BEFORE UPDATE ON _migration_state WHEN NEW.lock_window_ms IS NOT NULL
                    BEGIN SELECT RAISE(ABORT, 'no lock window here'); END;`);
    const run = await fx.run("finalize", { verbose: true });
    expect(run.exception).toBeNull();
    expect(run.snapshot.migrations[0]).toMatchObject({ state: "finalized", lockWindowMs: null });
    expect(run.snapshot.command).toMatchObject({ running: false, exception: null });
    expect(run.snapshot.command.output).toMatch(/finalization finished\n$/);
    expect(run.heard.at(-1)).toMatch(/^finalization: the lock window could not be recorded: .*no lock window here/);
    expect(fx.rows("SELECT label FROM item WHERE id = 1")).toEqual([{ label: "ITEM 1" }]);
  });
});
