import { describe, expect, it } from "vitest";
import { PROGRESS_RANGE_MIN_ROWS, PROGRESS_STEPS, RANGE_BYTES, rowsPerRange } from "../../src/engine/transform-table.ts";

describe("rows per transform range", () => {
  it.each([
    { rowBytes: 0, maxRows: 5000, rows: 5000, why: "an empty table: the configured size" },
    { rowBytes: 80, maxRows: 5000, rows: 5000, why: "narrow rows: capped at the configured size" },
    { rowBytes: 4096, maxRows: 5000, rows: RANGE_BYTES / 4096, why: "4 kB rows: 8 MB worth" },
    { rowBytes: 400_000, maxRows: 5000, rows: 20, why: "400 kB rows: 8 MB worth" },
    { rowBytes: 50_000_000, maxRows: 5000, rows: 10, why: "huge rows: never fewer than 10" },
    { rowBytes: 50_000_000, maxRows: 2, rows: 2, why: "a configured size below 10 wins" },
  ])("$why", ({ rowBytes, maxRows, rows }) => {
    expect(rowsPerRange(rowBytes, maxRows)).toBe(rows);
  });

  it.each([
    { tableRows: 2_000, rowBytes: 80, maxRows: 20_000, rows: 100, why: "the demo's 2,000 customers: 20 ranges, so progress moves in 5 % steps" },
    { tableRows: 100_000, rowBytes: 80, maxRows: 20_000, rows: 5_000, why: "100,000 rows: 20 ranges" },
    { tableRows: 10_000_000, rowBytes: 80, maxRows: 20_000, rows: 20_000, why: "a big table: the configured size" },
    { tableRows: 500, rowBytes: 80, maxRows: 20_000, rows: PROGRESS_RANGE_MIN_ROWS, why: "a small table: never below the progress minimum" },
    { tableRows: 2_000, rowBytes: 80, maxRows: 50, rows: 50, why: "a configured size below the minimum wins" },
    { tableRows: 2_000, rowBytes: 400_000, maxRows: 20_000, rows: 20, why: "wide rows: 8 MB worth still wins" },
  ])("$why", ({ tableRows, rowBytes, maxRows, rows }) => {
    expect(rowsPerRange(rowBytes, maxRows, tableRows)).toBe(rows);
    expect(Math.ceil(tableRows / rows)).toBeGreaterThanOrEqual(Math.min(PROGRESS_STEPS, Math.ceil(tableRows / PROGRESS_RANGE_MIN_ROWS)));
  });

  it("a smaller byte target gives wide rows shorter ranges, narrow ones keep the progress size", () => {
    expect(rowsPerRange(2048, 20_000, 1_000, 64 * 1024)).toBe(32);
    expect(rowsPerRange(16, 20_000, 1_000, 64 * 1024)).toBe(PROGRESS_RANGE_MIN_ROWS);
  });
});
