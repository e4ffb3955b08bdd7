import { describe, expect, it } from "vitest";
import { planTableWrites, tableWrites, type WritesMigration } from "../../src/core/table-writes.ts";
import type { WriteTraits } from "../../src/migrations/write-traits.ts";

const traits = (fields: Partial<WriteTraits> = {}): WriteTraits => ({ dataDefinition: false, dataManipulation: false, cleanup: false, sqlTransforms: [], ...fields });
const m = (name: string, tables: string[], fields: Partial<WriteTraits> = {}): WritesMigration => ({ name, tables, traits: traits(fields) });
const modes = (chain: WritesMigration[]) => Object.fromEntries(planTableWrites(chain).map((p) => [p.table, p.mode]));

describe("planTableWrites: which tables keep their writes while they migrate", () => {
  it("captures the row path: copy, transform, a one-table dataDefinition, chains of transforms", () => {
    expect(modes([m("0001_a", ["a"]), m("0002_b", ["b"], { dataDefinition: true }), m("0003_a", ["a"])])).toEqual({ a: "captured", b: "captured" });
    expect(planTableWrites([m("0001_a", ["a"])])[0]!.reason).toBe("its rows reach the shadow copy through copy and transform only, so each write is replayed");
  });

  it("protects what set-based SQL changes, with the migration named", () => {
    expect(planTableWrites([m("0001_x", ["a", "b"], { dataManipulation: true })])).toEqual([
      { table: "a", mode: "protected", reason: "migration 0001_x changes rows with dataManipulation, which cannot be replayed row by row" },
      { table: "b", mode: "protected", reason: "migration 0001_x changes rows with dataManipulation, which cannot be replayed row by row" },
    ]);
    expect(planTableWrites([m("0001_a", ["a"]), m("0002_c", ["a"], { cleanup: true })])[0]).toMatchObject({ mode: "protected", reason: expect.stringMatching(/^migration 0002_c changes rows with cleanup/) });
  });

  it("protects a reshaped table another pending migration changes too, and the tables of a several-table dataDefinition unless it says capture", () => {
    expect(modes([m("0001_a", ["a"], { dataDefinition: true }), m("0002_a", ["a"])])).toEqual({ a: "protected" });
    expect(modes([m("0001_split", ["user", "address"], { dataDefinition: true })])).toEqual({ user: "protected", address: "protected" });
    expect(modes([m("0001_split", ["user", "address"], { dataDefinition: true, writes: "capture" })])).toEqual({ user: "captured", address: "captured" });
    expect(modes([m("0001_x", ["a", "b"], { dataManipulation: true, writes: "capture" })])).toEqual({ a: "protected", b: "protected" });
  });

  it("honours writes: \"protect\"", () => {
    expect(planTableWrites([m("0001_a", ["a"], { writes: "protect" })])).toEqual([{ table: "a", mode: "protected", reason: 'migration 0001_a asks for it (writes: "protect")' }]);
  });

  it("protects a table transformed with SQL expressions, and only that table", () => {
    const plan = planTableWrites([m("0001_a", ["a", "b"], { sqlTransforms: ["a"] })]);
    expect(plan.map((p) => [p.table, p.mode])).toEqual([["a", "protected"], ["b", "captured"]]);
    expect(plan[0]!.reason).toBe("migration 0001_a transforms it with SQL expressions, which the database computes for the whole table, not row by row");
  });
});

describe("tableWrites: what stats shows", () => {
  const plan = planTableWrites([m("0001_a", ["a", "b"])]);

  it("the store's guard wins over the plan, with its backlog; a rate only for captured tables", () => {
    const guarded = [
      { table: "a", mode: "captured" as const, backlog: 12, replayed: 40 },
      { table: "b", mode: "protected" as const, backlog: 0, replayed: 0 },
    ];
    expect(tableWrites(plan, guarded, new Map([["a", 3.5], ["b", 1]]))).toEqual([
      { table: "a", mode: "captured", reason: plan[0]!.reason, backlog: 12, replayRate: 3.5 },
      { table: "b", mode: "protected", reason: "it has no primary key to replay changes by, so it is write-protected", backlog: 0, replayRate: null },
    ]);
  });

  it("before migrate the plan says what will happen; a guard outside the plan is still shown", () => {
    expect(tableWrites(plan, [{ table: "z", mode: "captured", backlog: 2, replayed: 0 }], new Map())).toEqual([
      { table: "a", mode: "captured", reason: plan[0]!.reason, backlog: 0, replayRate: null },
      { table: "b", mode: "captured", reason: plan[1]!.reason, backlog: 0, replayRate: null },
      { table: "z", mode: "captured", reason: "left from an earlier run", backlog: 2, replayRate: null },
    ]);
  });
});
