import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { MAINTENANCE_URL } from "../helpers/postgres-target.ts";

const BIN = join(import.meta.dirname, "../../bin/bench.mjs");

/** The scenarios whose finalize the application probe watches: (e) at N, (i), (t), (w). */
const PROBED = ["transform_default_workers", "indexed", "tables", "wide"];

/** Every figure a results file must hold, as a positive finite number. */
const FIGURES = [
  ...["limit", "pipeline_objects", "pipeline_strings", "batched_update"].flatMap((id) => [`${id}_rows_per_s`, `${id}_ms`]),
  ...["row_by_row", "copy", "transform_1_worker", "transform_default_workers", "transform_10k", "sql_transform", "add_column", "indexed", "tables", "wide"].flatMap(
    (id) => ["rows_per_s", "migrate_ms", "finalize_ms", "total_ms", "lock_window_ms"].map((figure) => `${id}_${figure}`),
  ),
  ...PROBED.flatMap((id) => [
    `${id}_stall_max_ms`,
    ...["reader", "writer", "unrelated"].flatMap((role) => [`${id}_stall_${role}_ms`, `${id}_baseline_${role}_median_ms`, `${id}_baseline_${role}_p99_ms`]),
  ]),
  "stats_p50_ms",
  "stats_p99_ms",
  "peak_rss_mb",
  "wide_peak_rss_mb",
  "writes_baseline_per_s",
  "writes_during_migrate_per_s",
  "writes_lock_window_ms",
];
const RATIOS = ["d_over_a", "d_over_pipeline_objects", "d_over_pipeline_strings", "d_over_batched_update", "sql_over_a", "c_over_a", "d_over_b", "lock_window_n_over_10k"];
const TARGETS = [
  "d_over_a",
  "d_over_pipeline_objects",
  "d_over_batched_update",
  "sql_over_a",
  "c_over_a",
  "d_over_b",
  "lock_window_n_over_10k",
  "lock_window_n",
  "add_column_total",
  "indexed_lock_window",
  ...PROBED.map((id) => `${id}_stall`),
  "wide_peak_rss",
  "stats_p99",
  "peak_rss",
  "writes_failed",
  "writes_replayed_under_lock",
];
/** The references timed right before and right after each scenario a ratio compares with them, by scenario. */
const REFERENCES: Record<string, string[]> = {
  transform_default_workers: ["limit", "pipeline_objects", "pipeline_strings", "batched_update"],
  copy: ["limit"],
  sql_transform: ["limit"],
};

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
      const port = new URL(MAINTENANCE_URL).port || "5432";
      const args = ["--rows", "20000", "--sample", "2000", "--repeat", "1", "--store", store, "--out", out, "--database-url", MAINTENANCE_URL, "--port", port];
      const { code, stdout, stderr } = await runBench(args);
      expect(code, stderr).toBe(0);
      expect(stdout).toContain(`## ${store}: 20,000 rows`);

      const results = JSON.parse(await readFile(join(out, `${store}.json`), "utf8")) as Record<string, Record<string, unknown>>;
      expect(results).toMatchObject({ store, rows: 20000, sample: 2000, repeat: 1 });
      expect(results.repetition_loads).toEqual([[expect.any(Number), expect.any(Number), expect.any(Number)]]);
      expect(Date.parse(String(results.date))).not.toBeNaN();
      expect(results.machine).toMatchObject({ cpu_count: expect.any(Number), node: process.version });
      expect(String(results.machine!.database)).toMatch(store === "postgres" ? /^PostgreSQL / : /^SQLite /);
      for (const name of FIGURES) expect(positiveFinite(results.figures![name]), `figure ${name} = ${results.figures![name]}`).toBe(true);
      for (const [name, value] of Object.entries(results.figures!)) expect(positiveFinite(value), `figure ${name} = ${value}`).toBe(true);
      for (const name of RATIOS) expect(positiveFinite(results.ratios![name]), `ratio ${name} = ${results.ratios![name]}`).toBe(true);
      for (const name of RATIOS) expect(results.ratio_repetitions![name], name).toEqual([results.ratios![name]]);
      expect(Object.keys(results.reference_samples_ms!).sort()).toEqual(Object.keys(REFERENCES).sort());
      for (const [scenario, references] of Object.entries(REFERENCES)) {
        const samples = results.reference_samples_ms![scenario] as Record<string, unknown>;
        expect(Object.keys(samples), scenario).toEqual(references);
        for (const name of references) expect(samples[name], `${name} around ${scenario}`).toEqual([[expect.any(Number), expect.any(Number)]]);
      }
      for (const name of REFERENCES.transform_default_workers!) expect(positiveFinite(results.of_limit![name]), `${name} ÷ (a)`).toBe(true);
      // The probe watched each probed finalize on its three connections. Its failed statements (a SQLite busy
      // timeout while a finalize holds the write lock) are what the service does, counted, not a bench failure.
      const stalls = results.stalls as unknown as Record<string, { role: string; stallMs: number; baselineMedianMs: number; statements: number }[][]>;
      expect(Object.keys(stalls).sort()).toEqual([...PROBED].sort());
      for (const id of PROBED) {
        expect(stalls[id]!.length).toBe(1);
        expect(stalls[id]![0]!.map((stall) => stall.role)).toEqual(["reader", "writer", "unrelated"]);
        for (const stall of stalls[id]![0]!) expect(stall.statements, `${id} ${stall.role}`).toBeGreaterThan(0);
        expect(Number.isInteger(results.counts![`${id}_probe_failed`]), `${id} probe failures`).toBe(true);
      }
      // Each reference checked the table it wrote against a fingerprint of all rows, before and after (dN).
      const verified = stderr.split("\n").filter((line) => line.includes(", then ") && line.endsWith("— verified"));
      for (const label of ["(a)", "(p1)", "(p2)", "(p3)"]) expect(verified.some((line) => line.includes(` ${label} `)), `${label} verified`).toBe(true);
      const targets = results.targets as unknown as { id: string; met: boolean | null }[];
      expect(targets.map((t) => t.id)).toEqual(TARGETS);
      for (const target of targets) expect([true, false, null]).toContain(target.met);
      // Scenario (h) checks its data exactly; no application write may fail.
      expect(results.counts).toMatchObject({ writes_failed: 0 });
      expect((results.writes_backlog as unknown as unknown[]).length).toBeGreaterThan(0);

      const table = await readFile(join(out, `${store}.md`), "utf8");
      expect(table).toContain("| (dN)/(a)");
      expect(table).toContain("| (dN)/(p1) hand-written pipeline, objects");
      expect(table).toContain("| (i) finalize at 20,000 rows, 3 indexes + FK");
      expect(table).toContain("| (t) migrate + transform, 50 tables × 400 rows, one migration");
      expect(table).toContain("| (w) migrate + transform, 4,000 wide rows (2 KB text + json)");
      expect(table).toContain("1 repetition(s); 1-minute load at the start of each: ");
      for (const label of ["(e) at 20,000 rows", "(i) 3 indexes + FK", "(t) 50 tables", "(w) wide rows"]) {
        const line = table.split("\n").find((text) => text.startsWith(`| ${label}: stall during finalize`));
        expect(line, label).toMatch(/\| [\d.,]+ ms \/ [\d.,]+ ms \/ [\d.,]+ ms \([\d.,]+ ms \/ [\d.,]+ ms \/ [\d.,]+ ms\); [\d.,]+ ms(; \d+ probe statement\(s\) failed)? +\|/);
      }
      expect(stdout).toContain(table);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  }, 900_000);
});
