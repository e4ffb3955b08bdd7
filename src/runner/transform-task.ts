import type { RangeJob, ReplayJob, TransformRef } from "../engine/types.ts";
import { chainRows, transformRows } from "../engine/transform-rows.ts";
import { loadMigrationFile } from "../migrations/load-file.ts";
import { type Migration, type RowTransform, rowTransformOf } from "../migrations/types.ts";
import { moveRange, replayBatch } from "../stores/range-mover.ts";
import { ReplayYielded } from "../stores/replay-yielded.ts";
import { BUSY, YIELDED } from "../engine/types.ts";
import { isBusy } from "../stores/sqlite/connection.ts";
import { workerData } from "piscina";
import { useWriteTurns } from "../stores/write-turns.ts";

// On a pool thread: the range writes take turns with the pool's other threads (transform-pool.ts).
const shared = workerData as { writeTurns?: SharedArrayBuffer } | undefined;
if (shared?.writeTurns !== undefined) useWriteTurns(shared.writeTurns);

const loaded = new Map<string, Promise<Migration>>();

/** Imports (once per thread and file version) and validates a migration file. */
function migrationOf(ref: TransformRef): Promise<Migration> {
  const key = `${ref.path}\u0000${ref.checksum}`;
  let migration = loaded.get(key);
  if (migration === undefined) {
    migration = loadMigrationFile(ref.path).then((m) => m.migration);
    loaded.set(key, migration);
  }
  return migration;
}

async function transformOf(ref: TransformRef, table: string): Promise<RowTransform> {
  const transform = rowTransformOf(await migrationOf(ref), table);
  if (transform === undefined) throw new Error(`The migration at ${ref.path} has no row transform for table "${table}"`);
  return transform;
}

/** Transform-pool task: moves one key range through the table's transform, or replays one batch of logged changes through its chain of transforms, on this thread's own connection. */
export default async function runTransformJob(job: RangeJob | ({ replay: true } & ReplayJob)): Promise<number> {
  if ("replay" in job) {
    const transforms = await Promise.all(job.transforms.map((ref) => transformOf(ref, job.table)));
    // An error's class and code do not survive the trip back to the calling thread; these outcomes must.
    return replayBatch(job.plan, (rows) => chainRows(job.plan.shape, transforms, rows)).catch((error: unknown) => {
      if (error instanceof ReplayYielded) return YIELDED;
      if (isBusy(error)) return BUSY;
      throw error;
    });
  }
  const transform = await transformOf(job, job.table);
  return moveRange(job.plan, job.range, (rows) => transformRows(job.plan.shape, transform, rows));
}
