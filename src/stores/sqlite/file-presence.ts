import { statSync, type Stats } from "node:fs";
import { DatabaseUnavailableError } from "../../core/errors.ts";

/** SQLite result codes that mean the file cannot be used any more (not that a statement was wrong). */
const UNUSABLE = /^SQLITE_(IOERR|CANTOPEN|NOTADB|CORRUPT|READONLY_DBMOVED)/;

/**
 * Watches that the database file an open connection uses is still the one at its path. A connection keeps
 * reading a deleted file (the open handle holds it), so without this a deleted database would go on
 * answering from a file no one else can see.
 */
export class FilePresence {
  private readonly opened: Stats;

  /** Remembers the identity (device and inode) of the file at `path`, which must exist. */
  constructor(private readonly path: string) {
    this.opened = statSync(path);
  }

  /** Throws a DatabaseUnavailableError when the file at the path is gone, unreadable or another one. */
  check(): void {
    let now: Stats;
    try {
      now = statSync(this.path);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const reason = code === "ENOENT" ? "was deleted or moved while the service ran" : `cannot be read (${code ?? (error as Error).message})`;
      throw new DatabaseUnavailableError(`the SQLite database ${this.path} ${reason}`, { cause: error });
    }
    if (now.ino !== this.opened.ino || now.dev !== this.opened.dev) {
      throw new DatabaseUnavailableError(`the SQLite database ${this.path} was replaced by another file while the service ran`);
    }
  }

  /** `error` as a DatabaseUnavailableError when SQLite says the file cannot be used, else unchanged. */
  unusable(error: unknown): unknown {
    const code = (error as { code?: unknown } | null)?.code;
    if (typeof code !== "string" || !UNUSABLE.test(code)) return error;
    return new DatabaseUnavailableError(`the SQLite database ${this.path} cannot be used: ${(error as Error).message}`, { cause: error });
  }
}
