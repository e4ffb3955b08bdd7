import { rmSync } from "node:fs";
import { LeaseLostError } from "../lease-lost.ts";
import { holdsRunLock } from "./bookkeeping.ts";
import { type Connection, inWriteTransaction } from "./connection.ts";
import { dropLeftovers } from "./staged-copy.ts";

/** The files SQLite keeps for the shadow database beside `shadowPath` itself. */
const SHADOW_FILE_SUFFIXES = ["", "-wal", "-shm", "-journal"];

/**
 * Throws the shadow work away while `owner` holds the running command: under the origin's write lock
 * (so no claim or interrupt can come between), drops the staged and retired tables a crashed finalize
 * left in the database and deletes the shadow file with its journals. Deleting needs no free disk,
 * where dropping tables inside the file would need room for its journal: reset works on a full disk.
 */
export function clearShadowFiles(db: Connection, shadowPath: string, owner: string): void {
  inWriteTransaction(db, () => {
    if (!holdsRunLock(db, owner)) throw new LeaseLostError(owner, "clearing the shadow copies");
    dropLeftovers(db);
    for (const suffix of SHADOW_FILE_SUFFIXES) rmSync(`${shadowPath}${suffix}`, { force: true });
  });
}
