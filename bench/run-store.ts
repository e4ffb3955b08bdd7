import { availableParallelism } from "node:os";
import type { BenchStore } from "./bench-database.ts";
import { grouped, progress } from "./log.ts";
import { machineInfo, type MachineInfo } from "./machine.ts";
import type { BenchOptions } from "./options.ts";
import { runLimit, type LimitResult } from "./scenario-limit.ts";
import { runMigrate, type MigrateResult, type MigrateSpec } from "./scenario-migrate.ts";
import { runWrites, WRITES_SCENARIO_ROWS, type WritesResult } from "./scenario-writes.ts";

/** Rows of the small finalize of scenario (e). */
export const SMALL_FINALIZE_ROWS = 10_000;

/** Everything one store's run measured, before it is turned into figures. */
export interface StoreRun {
  store: BenchStore["name"];
  date: string;
  rows: number;
  sample: number;
  /** The worker count the service uses when `--workers` is not passed: os.availableParallelism(). */
  defaultWorkers: number;
  machine: MachineInfo;
  /** (a) */
  limit: LimitResult;
  /** (b), on `sample` rows. */
  rowByRow: MigrateResult;
  /** (c) */
  copy: MigrateResult;
  /** (d) with `--workers 1`. */
  transformOne: MigrateResult;
  /** (d) with the default workers; its finalize is (e) at N, its stats polls (f), its memory (g). */
  transformDefault: MigrateResult;
  /** (e) at 10k: the (d)-default migration on 10,000 rows, then finalize. */
  finalizeSmall: MigrateResult;
  /** (h) the application writing all through migrate and finalize. */
  writes: WritesResult;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

async function migrateStep(store: BenchStore, label: string, spec: MigrateSpec): Promise<MigrateResult> {
  progress(store.name, `${label}: ${grouped(spec.rows)} rows …`);
  const result = await runMigrate(store, spec);
  progress(
    store.name,
    `${label}: migrate ${seconds(result.migrateMs)} (${grouped((result.rows * 1000) / result.migrateMs)} rows/s), ` +
      `finalize ${seconds(result.finalizeMs)}, lock window ${result.lockWindowMs} ms — verified`,
  );
  return result;
}

/** Runs scenarios (a)–(g) on one store, each on a fresh database with a fresh service process. */
export async function runStore(store: BenchStore, options: BenchOptions): Promise<StoreRun> {
  const { rows, sample } = options;
  const date = new Date().toISOString();
  const machine = machineInfo(await store.version());
  const defaultWorkers = availableParallelism();
  progress(store.name, `${machine.database}, ${grouped(rows)} rows, (b) on ${grouped(sample)} rows, default workers ${defaultWorkers}`);

  progress(store.name, `(a) INSERT … SELECT: ${grouped(rows)} rows …`);
  const limit = await runLimit(store, rows);
  progress(store.name, `(a) INSERT … SELECT: ${seconds(limit.ms)} (${grouped((rows * 1000) / limit.ms)} rows/s)`);
  const rowByRow = await migrateStep(store, "(b) row-by-row dataManipulation", { kind: "row-by-row", rows: sample });
  const copy = await migrateStep(store, "(c) migrate, no transform", { kind: "copy", rows });
  const transformOne = await migrateStep(store, "(d1) migrate + transform, --workers 1", { kind: "transform", rows, workers: 1 });
  const transformDefault = await migrateStep(store, `(dN) migrate + transform, default workers (${defaultWorkers})`, {
    kind: "transform",
    rows,
    watchMemory: true,
  });
  const finalizeSmall = await migrateStep(store, "(e) 10k: migrate + transform, default workers", {
    kind: "transform",
    rows: SMALL_FINALIZE_ROWS,
  });
  const writeRows = Math.min(rows, WRITES_SCENARIO_ROWS);
  progress(store.name, `(h) the application writes through migrate + transform and finalize: ${grouped(writeRows)} rows …`);
  const writes = await runWrites(store, writeRows);
  progress(
    store.name,
    `(h) ${grouped(writes.migrateWritesPerS)} writes/s during migrate (alone ${grouped(writes.baselineWritesPerS)}/s), ${writes.failedWrites} failed, ` +
      `backlog ≤ ${grouped(writes.maxBacklog)}, lock window ${writes.lockWindowMs} ms with ${writes.replayedUnderLock} changes replayed in it — verified`,
  );
  return { store: store.name, date, rows, sample, defaultWorkers, machine, limit, rowByRow, copy, transformOne, transformDefault, finalizeSmall, writes };
}
