import { availableParallelism, loadavg } from "node:os";
import type { BenchStore } from "./bench-database.ts";
import { grouped, progress } from "./log.ts";
import { machineInfo, type MachineInfo } from "./machine.ts";
import type { BenchOptions } from "./options.ts";
import { referenceOf } from "./references.ts";
import { runMigrate, type MigrateResult } from "./scenario-migrate.ts";
import { SCENARIOS, type LabelContext } from "./scenarios.ts";
import { runWrites, WRITES_SCENARIO_ROWS, type WritesResult } from "./scenario-writes.ts";

/** Everything one store's run measured, before it is turned into figures. */
export interface StoreRun {
  store: BenchStore["name"];
  date: string;
  rows: number;
  sample: number;
  /** `--repeat`: runs of each repeated scenario. */
  repeat: number;
  /** The worker count the service uses when `--workers` is not passed: os.availableParallelism(). */
  defaultWorkers: number;
  machine: MachineInfo;
  /** Each scenario of SCENARIOS by id: one run per repetition for a repeated one, else one run. */
  migrations: Record<string, MigrateResult[]>;
  /** The 1, 5 and 15 minute load averages at the start of each repetition. */
  repetitionLoads: number[][];
  /** (h) the application writing all through migrate and finalize. */
  writes: WritesResult;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const rate = (rows: number, ms: number) => `${grouped((rows * 1000) / ms)} rows/s`;
const msText = (ms: number) => `${ms.toFixed(ms < 10 ? 1 : 0)} ms`;

/**
 * Runs every scenario on one store, each on a fresh database with a fresh service process, then (h). The
 * repeated scenarios (those a ratio compares) run `--repeat` times, each time with their references on
 * their own fresh database; the others run in the first repetition only.
 */
export async function runStore(store: BenchStore, options: BenchOptions): Promise<StoreRun> {
  const { rows, sample, repeat } = options;
  const date = new Date().toISOString();
  const machine = machineInfo(await store.version());
  const defaultWorkers = availableParallelism();
  const context: LabelContext = { rows: grouped(rows), count: rows, sample: grouped(sample), workers: defaultWorkers };
  progress(store.name, `${machine.database}, ${grouped(rows)} rows, (b) on ${grouped(sample)} rows, default workers ${defaultWorkers}, ${repeat} repetition(s)`);

  const migrations: Record<string, MigrateResult[]> = Object.fromEntries(SCENARIOS.map((scenario) => [scenario.id, []]));
  const repetitionLoads: number[][] = [];
  for (let repetition = 1; repetition <= repeat; repetition++) {
    const load = loadavg().map((value) => Number(value.toFixed(2)));
    repetitionLoads.push(load);
    progress(store.name, `repetition ${repetition} of ${repeat}, load ${load.join(" ")}`);
    for (const scenario of SCENARIOS) {
      if (repetition > 1 && !scenario.repeated) continue;
      const spec = scenario.spec(options);
      const label = scenario.label(context);
      const around = spec.references?.length ? `, with ${spec.references.map((kind) => referenceOf(kind).label.split(" ")[0]).join(" ")} before and after` : "";
      progress(store.name, `${label}: ${grouped(spec.rows)} rows${around} …`);
      const result = await runMigrate(store, spec);
      migrations[scenario.id]!.push(result);
      for (const [kind, samplesMs] of result.references) {
        progress(store.name, `  ${referenceOf(kind).label}: ${samplesMs.map((ms) => `${seconds(ms)} (${rate(spec.rows, ms)})`).join(", then ")} — verified`);
      }
      progress(
        store.name,
        `${label}: migrate ${seconds(result.migrateMs)} (${rate(result.rows, result.migrateMs)}), ` +
          `finalize ${seconds(result.finalizeMs)}, lock window ${result.lockWindowMs} ms — verified`,
      );
      for (const stall of result.stalls ?? []) {
        progress(
          store.name,
          `  probe ${stall.role}: longest ${msText(stall.stallMs)} during finalize, ${msText(stall.stallOverBaselineMs)} over its baseline (median ${msText(stall.baselineMedianMs)}, p99 ${msText(stall.baselineP99Ms)}), ` +
            `${stall.statements} statements in the finalize, ${stall.errors} failed${stall.firstErrors.length ? ` (${stall.firstErrors.join("; ")})` : ""}`,
        );
      }
    }
  }
  const writeRows = Math.min(rows, WRITES_SCENARIO_ROWS);
  progress(store.name, `(h) the application writes through migrate + transform and finalize: ${grouped(writeRows)} rows …`);
  const writes = await runWrites(store, writeRows);
  progress(
    store.name,
    `(h) ${grouped(writes.migrateWritesPerS)} writes/s during migrate (alone ${grouped(writes.baselineWritesPerS)}/s), ${writes.failedWrites} failed, ` +
      `backlog ≤ ${grouped(writes.maxBacklog)}, lock window ${writes.lockWindowMs} ms with ${writes.replayedUnderLock} changes replayed in it — verified`,
  );
  return { store: store.name, date, rows, sample, repeat, defaultWorkers, machine, migrations, repetitionLoads, writes };
}
