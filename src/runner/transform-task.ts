import type { RangeJob } from "../engine/types.ts";
import { transformRows } from "../engine/transform-rows.ts";
import { loadMigrationFile } from "../migrations/load-file.ts";
import type { Migration } from "../migrations/types.ts";
import { moveRange } from "../stores/range-mover.ts";

const loaded = new Map<string, Promise<Migration>>();

/** Imports (once per thread and file version) and validates the migration a job names. */
function migrationOf(job: RangeJob): Promise<Migration> {
  const key = `${job.path}\u0000${job.checksum}`;
  let migration = loaded.get(key);
  if (migration === undefined) {
    migration = loadMigrationFile(job.path).then((m) => m.migration);
    loaded.set(key, migration);
  }
  return migration;
}

/** Transform-pool task: moves one key range through the table's transform on this thread's own connection; resolves to the rows read. */
export default async function transformRange(job: RangeJob): Promise<number> {
  const migration = await migrationOf(job);
  const transform = migration.transform?.[job.table];
  if (transform === undefined) throw new Error(`The migration at ${job.path} has no transform for table "${job.table}"`);
  return moveRange(job.plan, job.range, (rows) => transformRows(job.plan.shape, transform, rows));
}
