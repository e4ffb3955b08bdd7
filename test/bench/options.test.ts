import { describe, expect, it } from "vitest";
import { parseOptions } from "../../bench/options.ts";

describe("npm run bench options", () => {
  it("names the bench's databases with --database-prefix (bench_ by default)", () => {
    expect(parseOptions([], {}).databasePrefix).toBe("bench_");
    expect(parseOptions(["--database-prefix", "ci_run_7_"], {}).databasePrefix).toBe("ci_run_7_");
    expect(parseOptions(["--database-prefix=nightly_"], {}).databasePrefix).toBe("nightly_");
  });

  it("refuses a prefix that is not a plain lower-case SQL name", () => {
    for (const bad of ["Bench", "7bench", "bench-x", "bench;drop", "", "a".repeat(42)]) {
      expect(() => parseOptions(["--database-prefix", bad], {}), bad).toThrow(/--database-prefix needs/);
    }
  });
});
