import { describe, expect, it } from "vitest";
import type { RunProgress, StateStore } from "../../src/core/state-store.ts";
import { progressPasses } from "../../src/engine/progress-passes.ts";
import { ProgressTracker } from "../../src/engine/progress-tracker.ts";
import type { LoadedMigration, Migration } from "../../src/migrations/types.ts";

/** The tracker's only use of the store is its progress writes: these tests read what it wrote, in order. */
function recording(): { tracker: ProgressTracker; writes: RunProgress[]; last: () => Promise<RunProgress> } {
  const writes: RunProgress[] = [];
  const sink = { setProgress: async (_owner: string, progress: RunProgress) => void writes.push(progress) } as unknown as StateStore;
  const tracker = new ProgressTracker(sink, "h:1:x.1");
  return { tracker, writes, last: async () => (await tracker.flush(), writes.at(-1)!) };
}

const loaded = (index: number, migration: Partial<Migration> & { tables: string[] }): LoadedMigration =>
  ({ index, name: `000${index}_m`, path: "", checksum: "", migration: migration as Migration });

const transform = (row: Record<string, unknown>) => row;

/** Every write adds up and never goes back: the per-table parts sum to the totals, migrated ≤ count, neither decreases. */
function expectAddsUp(writes: RunProgress[]): void {
  let previous: RunProgress | null = null;
  for (const write of writes) {
    expect(write.tables.reduce((sum, t) => sum + t.count, 0)).toBe(write.count);
    expect(write.tables.reduce((sum, t) => sum + t.migrated, 0)).toBe(write.migrated);
    for (const table of write.tables) expect(table.migrated).toBeLessThanOrEqual(table.count);
    if (previous !== null) {
      expect(write.migrated).toBeGreaterThanOrEqual(previous.migrated);
      expect(write.count).toBeGreaterThanOrEqual(previous.count);
    }
    previous = write;
  }
}

describe("progressPasses", () => {
  it("a table's passes are the migrations that transform it, else the first that lists it", () => {
    const passes = progressPasses([
      loaded(1, { tables: ["customer"], transform: { customer: transform } }),
      loaded(2, { tables: ["customer", "address"] }),
      loaded(3, { tables: ["address", "order"], transform: { order: transform } }),
      loaded(4, { tables: ["order"], transform: { order: transform } }),
    ]);
    expect([...passes]).toEqual([["customer", [1]], ["address", [2]], ["order", [3, 4]]]);
  });
});

describe("ProgressTracker", () => {
  it("counts a table two migrations transform once; each transform moves it half way", async () => {
    const { tracker, writes, last } = recording();
    tracker.start(new Map([["customer", { rows: 2000, passes: [1, 2] }]]));
    expect(await last()).toMatchObject({ count: 2000, migrated: 0 });
    const first = tracker.pass(1, "customer");
    first.add(1000);
    expect(await last()).toMatchObject({ count: 2000, migrated: 500 });
    first.finish();
    expect(await last()).toMatchObject({ count: 2000, migrated: 1000 });
    tracker.pass(2, "customer").add(1000);
    expect(await last()).toMatchObject({ count: 2000, migrated: 1500 });
    tracker.complete();
    expect(await last()).toMatchObject({ count: 2000, migrated: 2000, tables: [{ table: "customer", count: 2000, migrated: 2000 }] });
    await tracker.flush();
    expectAddsUp(writes);
  });

  it("a migration that lists a table without moving it counts nothing for it", async () => {
    const { tracker, last } = recording();
    tracker.start(new Map([["customer", { rows: 2000, passes: [1] }]]));
    tracker.pass(2, "customer").finish();
    expect(await last()).toMatchObject({ count: 2000, migrated: 0 });
  });

  it("a table SQL creates and fills counts the rows it received once they are there", async () => {
    const { tracker, writes, last } = recording();
    tracker.start(new Map([["customer", { rows: 2000, passes: [1] }], ["address", { rows: 0, passes: [2] }]]));
    tracker.pass(1, "customer").finish();
    tracker.pass(2, "address").finish();
    expect(await last()).toMatchObject({ count: 2000, migrated: 2000 });
    tracker.holds("address", 2000);
    expect(await last()).toMatchObject({
      count: 4000, migrated: 4000, tables: [{ table: "customer", count: 2000, migrated: 2000 }, { table: "address", count: 2000, migrated: 2000 }],
    });
    // Fewer rows later (a DELETE) take back nothing: those rows were moved.
    tracker.holds("address", 10);
    tracker.complete();
    expect(await last()).toMatchObject({ count: 4000, migrated: 4000 });
    await tracker.flush();
    expectAddsUp(writes);
  });

  it("a pass that moves more rows than counted (written meanwhile) grows the count, never past it", async () => {
    const { tracker, writes, last } = recording();
    tracker.start(new Map([["item", { rows: 100, passes: [1] }]]));
    const pass = tracker.pass(1, "item");
    pass.add(80);
    pass.add(40);
    expect(await last()).toMatchObject({ count: 120, migrated: 120 });
    pass.finish();
    tracker.complete();
    expect(await last()).toMatchObject({ count: 120, migrated: 120 });
    await tracker.flush();
    expectAddsUp(writes);
  });

  it("marks where the ETA's rate starts once, at the first transform, with the rows migrated then", async () => {
    const { tracker, last } = recording();
    tracker.start(new Map([["copied", { rows: 500, passes: [1] }], ["item", { rows: 100, passes: [1] }]]));
    expect((await last()).rateBase).toBeNull();
    tracker.pass(1, "copied").finish();
    const before = Date.now();
    tracker.transformBegins();
    expect((await last()).rateBase).toEqual({ at: expect.any(Number), migrated: 500 });
    const base = (await last()).rateBase!;
    expect(base.at).toBeGreaterThanOrEqual(before);
    tracker.pass(1, "item").add(50);
    tracker.transformBegins();
    expect((await last()).rateBase).toEqual(base);
  });
});
