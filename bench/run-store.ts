import { availableParallelism } from "node:os";
import type { BenchStore } from "./bench-database.ts";
import { grouped, progress } from "./log.ts";
import { machineInfo, type MachineInfo } from "./machine.ts";
import type { BenchOptions } from "./options.ts";
import { referenceOf, type ReferenceKind } from "./references.ts";
import { runMigrate, type MigrateResult } from "./scenario-migrate.ts";
import { SCENARIOS, type LabelContext } from "./scenarios.ts";
import { runWrites, WRITES_SCENARIO_ROWS, type WritesResult } from "./scenario-writes.ts";

/** A reference as measured: on how many rows, and its times in ms (before the migrate it was timed around, after its finalize). */
export interface ReferenceRun {
  rows: number;
  samplesMs: number[];
}

/** Everything one store's run measured, before it is turned into figures. */
export interface StoreRun {
  store: BenchStore["name"];
  date: string;
  rows: number;
  sample: number;
  /** The worker count the service uses when `--workers` is not passed: os.availableParallelism(). */
  defaultWorkers: number;
  machine: MachineInfo;
  /** Each scenario of SCENARIOS by id. */
  migrations: Record<string, MigrateResult>;
  /** Each reference, timed around the scenario that declared it. */
  references: Map<ReferenceKind, ReferenceRun>;
  /** (h) the application writing all through migrate and finalize. */
  writes: WritesResult;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const rate = (rows: number, ms: number) => `${grouped((rows * 1000) / ms)} rows/s`;

/** Runs every scenario on one store, each on a fresh database with a fresh service process, then (h). */
export async function runStore(store: BenchStore, options: BenchOptions): Promise<StoreRun> {
  const { rows, sample } = options;
  const date = new Date().toISOString();
  const machine = machineInfo(await store.version());
  const defaultWorkers = availableParallelism();
  const context: LabelContext = { rows: grouped(rows), sample: grouped(sample), workers: defaultWorkers };
  progress(store.name, `${machine.database}, ${grouped(rows)} rows, (b) on ${grouped(sample)} rows, default workers ${defaultWorkers}`);

  const migrations: Record<string, MigrateResult> = {};
  const references = new Map<ReferenceKind, ReferenceRun>();
  for (const scenario of SCENARIOS) {
    const spec = scenario.spec(options);
    const label = scenario.label(context);
    for (const kind of spec.references ?? []) if (references.has(kind)) throw new Error(`reference ${kind} is timed around two scenarios`);
    const around = spec.references?.length ? `, with ${spec.references.map((kind) => referenceOf(kind).label.split(" ")[0]).join(" ")} before and after` : "";
    progress(store.name, `${label}: ${grouped(spec.rows)} rows${around} …`);
    const result = await runMigrate(store, spec);
    migrations[scenario.id] = result;
    for (const [kind, samplesMs] of result.references) {
      references.set(kind, { rows: spec.rows, samplesMs });
      progress(store.name, `  ${referenceOf(kind).label}: ${samplesMs.map((ms) => `${seconds(ms)} (${rate(spec.rows, ms)})`).join(", then ")} — verified`);
    }
    progress(
      store.name,
      `${label}: migrate ${seconds(result.migrateMs)} (${rate(result.rows, result.migrateMs)}), ` +
        `finalize ${seconds(result.finalizeMs)}, lock window ${result.lockWindowMs} ms — verified`,
    );
  }
  const writeRows = Math.min(rows, WRITES_SCENARIO_ROWS);
  progress(store.name, `(h) the application writes through migrate + transform and finalize: ${grouped(writeRows)} rows …`);
  const writes = await runWrites(store, writeRows);
  progress(
    store.name,
    `(h) ${grouped(writes.migrateWritesPerS)} writes/s during migrate (alone ${grouped(writes.baselineWritesPerS)}/s), ${writes.failedWrites} failed, ` +
      `backlog ≤ ${grouped(writes.maxBacklog)}, lock window ${writes.lockWindowMs} ms with ${writes.replayedUnderLock} changes replayed in it — verified`,
  );
  return { store: store.name, date, rows, sample, defaultWorkers, machine, migrations, references, writes };
}
