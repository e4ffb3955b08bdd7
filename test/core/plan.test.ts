import { describe, expect, it } from "vitest";
import { buildPlan, measuredRate, RATE_SAMPLE, type SurveyedMigration } from "../../src/core/plan.ts";
import type { StoredMigration } from "../../src/core/state-store.ts";

const record = (index: number, startedAt: number | null, finishedAt: number | null, rowsMoved: number): StoredMigration => ({
  index, name: `000${index}_m`, checksum: "c", state: "finalized", startedAt, finishedAt, finalizedAt: null, rowsMoved, lockWindowMs: null,
});

describe("measuredRate", () => {
  it("is null before any migrate finished having moved rows", () => {
    expect(measuredRate([])).toBeNull();
    expect(measuredRate([record(1, 1000, null, 0), record(2, 1000, 5000, 0)])).toBeNull();
  });

  it("sums rows over durations of the last RATE_SAMPLE measured migrations, by when they finished", () => {
    // 1,000 rows in 1 s each, and one old slow migration that falls out of the sample.
    const recent = Array.from({ length: RATE_SAMPLE }, (_, i) => record(i + 2, 10_000 * (i + 1), 10_000 * (i + 1) + 1000, 1000));
    expect(measuredRate([record(1, 0, 5000, 10), ...recent])).toBe(1000);
    expect(measuredRate([record(1, 0, 4000, 2000), record(2, 5000, 6000, 1000)])).toBe(600);
  });
});

describe("buildPlan", () => {
  const surveyed: SurveyedMigration[] = [
    { index: 1, name: "0001_a", prerequisites: "", tables: [{ table: "t", rows: 500, route: "transform", moves: true }, { table: "n", rows: 0, route: "create", moves: false }] },
    { index: 2, name: "0002_b", prerequisites: "no", tables: [{ table: "u", rows: 250, route: "sql", moves: true }, { table: "v", rows: 90, route: "in_place", moves: false }, { table: "t", rows: 500, route: "copy", moves: false }] },
  ];
  const writes = [
    { table: "t", mode: "captured" as const, reason: "replayed" },
    { table: "n", mode: "captured" as const, reason: "replayed" },
    { table: "u", mode: "protected" as const, reason: "SQL" },
  ];

  it("joins the writes decision per table, estimates rows over the rate (tables whose rows move only) and is ready only when no check refuses", () => {
    const plan = buildPlan("migration_required", surveyed, writes, 250);
    expect(plan.migrations.map((m) => m.tables.map((t) => [t.table, t.writes, t.writesReason.slice(0, 8), t.estimatedSeconds]))).toEqual([
      [["t", "captured", "replayed", 2], ["n", "captured", "replayed", 0]],
      [["u", "protected", "SQL", 1], ["v", "captured", "only dec", 0], ["t", "captured", "replayed", 0]],
    ]);
    expect(plan).toMatchObject({ status: "migration_required", estimatedSeconds: 3, ready: false });
    expect(buildPlan("migration_required", [surveyed[0]!], writes, 250).ready).toBe(true);
  });

  it("leaves every estimate unset when no rate was measured", () => {
    const plan = buildPlan("migration_failed", surveyed, writes, null);
    expect(plan.estimatedSeconds).toBeNull();
    expect(plan.migrations.flatMap((m) => m.tables.map((t) => t.estimatedSeconds))).toEqual([null, null, null, null, null]);
  });
});
