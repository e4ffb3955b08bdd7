import { MigrationFileError } from "./migration-file-error.ts";

/** The index and name encoded in a migration file name. */
export interface MigrationFileName {
  /** The NNNN prefix as a positive integer. */
  index: number;
  /** The file name without its extension, e.g. `0002_split_address`. */
  name: string;
}

const MIGRATION_FILE = /^(\d+)_([A-Za-z0-9][A-Za-z0-9_-]*)\.(ts|js|mjs|sql)$/;
const MIGRATION_EXTENSION = /\.(ts|js|mjs|sql)$/;

/** True for files that are clearly not migrations: dotfiles, declarations and files that are neither script nor `.sql`. */
export function isIgnoredFile(file: string): boolean {
  return file.startsWith(".") || file.endsWith(".d.ts") || !MIGRATION_EXTENSION.test(file);
}

/** Parses `NNNN_description.{ts,js,mjs,sql}`; throws MigrationFileError naming the file when it does not fit. */
export function parseMigrationFileName(file: string): MigrationFileName {
  const match = MIGRATION_FILE.exec(file);
  if (!match) {
    throw new MigrationFileError(
      `Migration file "${file}" has a bad name: expected NNNN_description.{ts,js,mjs,sql} (digits, underscore, letters/digits/_/-)`,
    );
  }
  const index = Number(match[1]);
  if (!Number.isSafeInteger(index) || index <= 0) {
    throw new MigrationFileError(`Migration file "${file}" has a bad name: its index must be a positive integer`);
  }
  return { index, name: file.slice(0, file.length - match[3]!.length - 1) };
}
