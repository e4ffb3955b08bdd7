import { describe, expect, it } from "vitest";
import { RANGE_BYTES, rowsPerRange } from "../../src/engine/transform-table.ts";

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
});
