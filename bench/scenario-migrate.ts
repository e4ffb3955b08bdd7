import type { BenchStore } from "./bench-database.ts";
import { followCommand, type CommandRun } from "./follow-command.ts";
import { checkSpotRows, spotIds, TABLE } from "./items-data.ts";
import { awaitLockWindow } from "./lock-window.ts";
import { MemorySampler } from "./memory-sampler.ts";
import { addedColumn, changesRows, writeMigration, type BenchMigration } from "./migration-sources.ts";
import { epochNow, PROBE_BASELINE_MS, stallsOf, startProbe, type ProbeStall } from "./probe.ts";
import { measureReferences, type ReferenceKind } from "./references.ts";
import { RouteClient } from "./route-client.ts";
import { startService } from "./service-process.ts";
import type { TableShape } from "./table-shapes.ts";
import { sleep } from "./timing.ts";

/** One migrate + finalize through the real service on a fresh database. */
export interface MigrateSpec {
  /** The migration it runs. */
  kind: BenchMigration;
  /** Rows of `items`. */
  rows: number;
  /** `--workers`; undefined = the service default. */
  workers?: number;
  /** Samples the service's memory while migrate runs. */
  watchMemory?: boolean;
  /** The shape of `items` (default plain). */
  shape?: TableShape;
  /** References timed on the same database right before migrate and right after finalize. */
  references?: readonly ReferenceKind[];
  /** Runs the application probe around the finalize. */
  probe?: boolean;
}

/** What one migrate + finalize measured. */
export interface MigrateResult {
  /** Rows of `items`. */
  rows: number;
  /** Wall time of migrate, from sending it until `stats` showed its end, in ms. */
  migrateMs: number;
  /** Wall time of finalize, measured the same way, in ms. */
  finalizeMs: number;
  /** `finalization: lock window <N> ms` of the verbose finalize output. */
  lockWindowMs: number;
  /** Latencies of the `stats` polls while migrate ran, in ms. */
  statsLatenciesMs: number[];
  /** The service's memory during migrate, when watched. */
  memory?: { sampledPeakMb: number; hwmMb: number; samples: number };
  /** Each reference's times in ms: before migrate, after finalize. */
  references: Map<ReferenceKind, number[]>;
  /** What each probe connection saw around the finalize, when probed. */
  stalls?: ProbeStall[];
}

function checkProgress(run: CommandRun, rows: number): void {
  const { count, migrated } = run.final.migratable_models;
  if (count !== rows || migrated !== count) {
    throw new Error(`after migrate, migratable_models is ${JSON.stringify(run.final.migratable_models)}, expected count = migrated = ${rows}`);
  }
}

/**
 * The fingerprint check: exactly the expected one, or, for a column added in place, the same rows (the hash
 * covers the bench's own columns) under a column list that now names the added column.
 */
function checkFingerprint(kind: BenchMigration, expected: string, found: string): void {
  const added = addedColumn(kind);
  const rowsPart = (fingerprint: string) => fingerprint.split(" ").slice(-2).join(" ");
  const same = added === undefined ? found === expected : rowsPart(found) === rowsPart(expected) && found.includes(added) && !expected.includes(added);
  if (!same) throw new Error(`after finalize, "${TABLE}" is not what the ${kind} migration must produce:\n  expected ${expected}\n  found    ${found}`);
}

/**
 * Creates a fresh database of `rows` rows, starts the service on it with one migration, runs migrate and a
 * verbose finalize, and checks the data: row count unchanged after migrate, and after finalize every row
 * (a fingerprint of all columns and the schema) is exactly the expected one — unchanged for the plain copy,
 * name upper-cased and amount doubled otherwise — with a few rows read back one by one. The references of
 * `spec` are timed on the same database before the service starts and again after it stopped. With
 * `spec.probe`, the application probe runs from the end of migrate (its baseline) through the finalize.
 */
export async function runMigrate(store: BenchStore, spec: MigrateSpec): Promise<MigrateResult> {
  const { kind, rows } = spec;
  const changes = changesRows(kind);
  const db = await store.create(rows, spec.shape);
  try {
    const referencesBefore = await measureReferences(db, spec.references ?? []);
    const expected = await db.fingerprint(changes);
    const migrationsDir = await writeMigration(db.scratchDir, kind, db.tables);
    const service = await startService({ database: db.serviceUrl, migrationsDir, scratchDir: db.scratchDir, workers: spec.workers });
    let migrate: CommandRun;
    let finalize: CommandRun;
    let memory: MigrateResult["memory"];
    let stalls: ProbeStall[] | undefined;
    let lockWindowMs: number;
    try {
      const client = new RouteClient(service.baseUrl, service.password);
      const before = await client.stats();
      if (before.status !== "migration_required" || before.target_migration_index !== 1) {
        throw new Error(`before migrate, stats is ${JSON.stringify(before)}, expected migration_required with target index 1`);
      }
      const sampler = spec.watchMemory ? new MemorySampler(service.pid) : undefined;
      try {
        migrate = await followCommand(client, "migrate", "finalization_required");
      } finally {
        memory = sampler?.stop();
      }
      checkProgress(migrate, addedColumn(kind) === undefined ? rows : 0);
      const originRows = await db.count();
      if (originRows !== rows) throw new Error(`after migrate, "${db.tables.join(", ")}" hold ${originRows} rows, expected ${rows} (origin untouched)`);
      const probe = spec.probe ? await startProbe(db.serviceUrl, db.tables, rows / db.tables.length) : undefined;
      try {
        if (probe) await sleep(PROBE_BASELINE_MS);
        const sent = epochNow();
        finalize = await followCommand(client, "finalize", "finalized", true);
        if (probe) stalls = stallsOf(await probe.stop(), sent, sent + finalize.wallMs);
      } finally {
        await probe?.stop().catch(() => undefined);
      }
      lockWindowMs = await awaitLockWindow(client, finalize.final);
    } catch (error) {
      throw new Error(`${(error as Error).message}\n--- service log (tail) ---\n${service.logTail()}`, { cause: error });
    } finally {
      await service.stop();
    }
    checkFingerprint(kind, expected, await db.fingerprint(false));
    const ids = spotIds(rows / db.tables.length);
    checkSpotRows(await db.spotRows(ids), ids, changes);
    const referencesAfter = await measureReferences(db, spec.references ?? []);
    const references = new Map([...referencesBefore].map(([reference, ms]) => [reference, [ms, referencesAfter.get(reference)!]]));
    return {
      rows,
      migrateMs: migrate.wallMs,
      finalizeMs: finalize.wallMs,
      lockWindowMs,
      statsLatenciesMs: migrate.statsLatenciesMs,
      ...(memory && { memory }),
      ...(stalls && { stalls }),
      references,
    };
  } finally {
    await db.drop();
  }
}
