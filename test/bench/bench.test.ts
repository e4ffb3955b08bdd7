import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { MAINTENANCE_URL } from "../helpers/postgres-target.ts";

const BIN = join(import.meta.dirname, "../../bin/bench.mjs");

/** Every figure a results file must hold, as a positive finite number. */
const FIGURES = [
  "limit_rows_per_s",
  "limit_ms",
  "row_by_row_rows_per_s",
  "row_by_row_migrate_ms",
  "copy_rows_per_s",
  "copy_migrate_ms",
  "transform_1_worker_rows_per_s",
  "transform_1_worker_migrate_ms",
  "transform_default_workers_rows_per_s",
  "transform_default_workers_migrate_ms",
  "finalize_10k_ms",
  "lock_window_10k_ms",
  "finalize_n_ms",
  "lock_window_n_ms",
  "stats_p50_ms",
  "stats_p99_ms",
  "peak_rss_mb",
  "writes_baseline_per_s",
  "writes_during_migrate_per_s",
  "writes_lock_window_ms",
];
const RATIOS = ["d_over_a", "c_over_a", "d_over_b", "lock_window_n_over_10k"];
const TARGETS = ["d_over_a", "c_over_a", "d_over_b", "lock_window_n", "lock_window_n_over_10k", "stats_p99", "peak_rss", "writes_failed", "writes_replayed_under_lock"];

/** Runs `node bin/bench.mjs …` as `npm run bench` does; resolves with its exit code and output. */
function runBench(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.once("close", (code) => resolve({ code, stdout, stderr })));
}

const positiveFinite = (value: unknown) => typeof value === "number" && Number.isFinite(value) && value > 0;

describe.each(["sqlite", "postgres"] as const)("npm run bench --store %s", (store) => {
  it("runs every scenario end to end at 20k rows and writes every figure", async () => {
    const out = await mkdtemp(join(tmpdir(), `bench-test-${store}-`));
    try {
      const args = ["--rows", "20000", "--sample", "2000", "--store", store, "--out", out, "--database-url", MAINTENANCE_URL];
      const { code, stdout, stderr } = await runBench(args);
      expect(code, stderr).toBe(0);
      expect(stdout).toContain(`## ${store}: 20,000 rows`);

      const results = JSON.parse(await readFile(join(out, `${store}.json`), "utf8")) as Record<string, Record<string, unknown>>;
      expect(results).toMatchObject({ store, rows: 20000, sample: 2000 });
      expect(Date.parse(String(results.date))).not.toBeNaN();
      expect(results.machine).toMatchObject({ cpu_count: expect.any(Number), node: process.version });
      expect(String(results.machine!.database)).toMatch(store === "postgres" ? /^PostgreSQL / : /^SQLite /);
      for (const name of FIGURES) expect(positiveFinite(results.figures![name]), `figure ${name} = ${results.figures![name]}`).toBe(true);
      for (const [name, value] of Object.entries(results.figures!)) expect(positiveFinite(value), `figure ${name} = ${value}`).toBe(true);
      for (const name of RATIOS) expect(positiveFinite(results.ratios![name]), `ratio ${name} = ${results.ratios![name]}`).toBe(true);
      const targets = results.targets as unknown as { id: string; met: boolean | null }[];
      expect(targets.map((t) => t.id)).toEqual(TARGETS);
      for (const target of targets) expect([true, false, null]).toContain(target.met);
      // Scenario (h) checks its data exactly; no application write may fail.
      expect(results.counts).toMatchObject({ writes_failed: 0 });
      expect((results.writes_backlog as unknown as unknown[]).length).toBeGreaterThan(0);

      const table = await readFile(join(out, `${store}.md`), "utf8");
      expect(table).toContain("| (d)/(a)");
      expect(stdout).toContain(table);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  }, 180_000);
});
