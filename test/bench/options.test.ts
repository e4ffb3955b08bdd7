import { describe, expect, it } from "vitest";
import { HelpRequested, parseOptions, USAGE } from "../../bench/options.ts";

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

describe("npm run bench --repeat, --port and --help", () => {
  it("repeats 3 times unless --repeat says otherwise, and refuses what is not a positive count", () => {
    expect(parseOptions([], {}).repeat).toBe(3);
    expect(parseOptions(["--repeat", "1"], {}).repeat).toBe(1);
    expect(parseOptions(["--repeat=5"], {}).repeat).toBe(5);
    for (const bad of ["0", "-1", "two", "1.5"]) expect(() => parseOptions(["--repeat", bad], {}), bad).toThrow(/--repeat needs a positive integer/);
  });

  it("points at the server's port with --port, keeping the rest of --database-url", () => {
    expect(parseOptions(["--port", "5433"], {}).databaseUrl).toBe("postgres://postgres@127.0.0.1:5433/postgres");
    const url = parseOptions(["--database-url", "postgres://app:secret@db.internal:5432/maint?sslmode=disable", "--port", "6432"], {}).databaseUrl;
    expect(url).toBe("postgres://app:secret@db.internal:6432/maint?sslmode=disable");
    expect(parseOptions(["--port=7000"], { TEST_DATABASE_URL: "postgres://postgres@localhost/postgres" }).databaseUrl).toBe("postgres://postgres@localhost:7000/postgres");
    expect(parseOptions([], {}).databaseUrl).toBe("postgres://postgres@127.0.0.1:5432/postgres");
    for (const bad of ["0", "65536", "http"]) expect(() => parseOptions(["--port", bad], {}), bad).toThrow(/--port needs/);
  });

  it("answers --help with the usage, which names every flag", () => {
    expect(() => parseOptions(["--help"], {})).toThrow(HelpRequested);
    for (const flag of ["--rows", "--store", "--sample", "--repeat", "--out", "--database-url", "--port", "--database-prefix"]) expect(USAGE).toContain(flag);
  });
});
