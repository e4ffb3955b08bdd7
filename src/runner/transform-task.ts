import type { TransformJob } from "../engine/types.ts";
import { loadMigrationFile } from "../migrations/load-file.ts";
import type { Migration } from "../migrations/types.ts";

const loaded = new Map<string, Promise<Migration>>();

/** Imports (once per thread and file version) and validates the migration a job names. */
function migrationOf(job: TransformJob): Promise<Migration> {
  const key = `${job.path}\u0000${job.checksum}`;
  let migration = loaded.get(key);
  if (migration === undefined) {
    migration = loadMigrationFile(job.path).then((m) => m.migration);
    loaded.set(key, migration);
  }
  return migration;
}

/** Transform-pool task: maps each row of the batch through the table's transform; results keep their order. */
export default async function transformBatch(job: TransformJob): Promise<unknown[]> {
  const migration = await migrationOf(job);
  const transform = migration.transform?.[job.table];
  if (transform === undefined) throw new Error(`The migration at ${job.path} has no transform for table "${job.table}"`);
  const results: unknown[] = new Array(job.rows.length);
  for (let i = 0; i < job.rows.length; i++) results[i] = await transform(job.rows[i]!);
  return results;
}
