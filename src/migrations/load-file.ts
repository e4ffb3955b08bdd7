import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { basename } from "node:path";
import { pathToFileURL } from "node:url";
import { MigrationFileError } from "./migration-file-error.ts";
import { parseMigrationFileName } from "./file-name.ts";
import { sqlMigration } from "./sql-file.ts";
import { syntaxErrorIn } from "./syntax-error.ts";
import type { LoadedMigration } from "./types.ts";
import { validateMigration } from "./validate.ts";

/** sha256 hex of a migration file's bytes. */
export function checksumOf(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Imports one migration file (a `.sql` file is read as its statements) by absolute path, validates it and computes its checksum. */
export async function loadMigrationFile(path: string): Promise<LoadedMigration> {
  const file = basename(path);
  const { index, name } = parseMigrationFileName(file);
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new MigrationFileError(`Migration file "${file}" cannot be read: ${(error as Error).message}`, { cause: error });
  }
  const checksum = checksumOf(bytes);
  if (file.endsWith(".sql")) return { index, name, path, checksum, migration: sqlMigration(bytes.toString("utf8"), file) };
  // The checksum in the URL makes an edited file load anew in a long-lived thread (ESM caches by URL).
  const url = `${pathToFileURL(path).href}?v=${checksum.slice(0, 16)}`;
  let module: Record<string, unknown>;
  try {
    module = (await import(url)) as Record<string, unknown>;
  } catch (error) {
    const syntaxError = await syntaxErrorIn(path, bytes.toString("utf8"));
    const reason = syntaxError === null ? (error as Error).message : `syntax error at ${syntaxError}`;
    throw new MigrationFileError(`Migration file "${file}" cannot be imported: ${reason}`, { cause: error });
  }
  const migration = validateMigration(defaultExport(module), file);
  return { index, name, path, checksum, migration };
}

/** The default export, unwrapped once more when a CommonJS loader wrapped an ES module. */
function defaultExport(module: Record<string, unknown>): unknown {
  const value = module.default;
  if (value !== null && typeof value === "object" && !("tables" in value) && "default" in value) {
    return (value as { default: unknown }).default;
  }
  return value;
}
