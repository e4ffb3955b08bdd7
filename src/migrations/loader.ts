import { readdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import { MigrationFileError } from "./migration-file-error.ts";
import { isIgnoredFile, parseMigrationFileName } from "./file-name.ts";
import { loadMigrationFile } from "./load-file.ts";
import type { LoadedMigration } from "./types.ts";

/** Loads and validates every `NNNN_description.{ts,js,mjs,sql}` in `dir`, sorted by index. */
export async function loadMigrations(dir: string): Promise<LoadedMigration[]> {
  const root = resolve(dir);
  let files: string[];
  try {
    files = await readdir(root);
  } catch (error) {
    throw new MigrationFileError(`Migrations directory "${root}" cannot be read: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const byIndex = new Map<number, string>();
  for (const file of files.filter((f) => !isIgnoredFile(f)).sort()) {
    const { index } = parseMigrationFileName(file);
    const other = byIndex.get(index);
    if (other !== undefined) {
      throw new MigrationFileError(`Migration files "${other}" and "${file}" have the same index ${index}`);
    }
    byIndex.set(index, file);
  }
  const ordered = [...byIndex.entries()].sort(([a], [b]) => a - b);
  const loaded: LoadedMigration[] = [];
  for (const [, file] of ordered) loaded.push(await loadMigrationFile(join(root, file)));
  return loaded;
}
