import { statSync } from "node:fs";
import { ConnectionSlots } from "../connection-slots.ts";
import { type Connection, openConnection } from "./connection.ts";

/**
 * A worker thread's connection, keyed by connectionKey: the shadow file as `main` with the database
 * attached as `origin`, foreign keys off (the shadow is checked at the swap). One job of a thread uses it
 * at a time, the next waits: SQLite waits for a lock synchronously, so a second connection of the same
 * thread waiting for the first one's (a replay batch holds it across its transform) would wait forever.
 */
export const workerConnections = new ConnectionSlots<Connection>(
  async (key) => {
    const [shadowPath, originPath] = key.split("\u0000") as [string, string];
    const db = openConnection(shadowPath);
    db.pragma("foreign_keys = OFF");
    db.prepare("ATTACH DATABASE ? AS origin").run(originPath);
    return db;
  },
  async (db) => {
    db.close();
  },
  1,
);

/**
 * The key of the connection to a plan's files. It names the shadow file's inode too: a reset deletes the
 * shadow file, and a connection kept open on the deleted file would write where no one reads.
 */
export function connectionKey(paths: { shadowPath: string; originPath: string }): string {
  const inode = statSync(paths.shadowPath, { throwIfNoEntry: false })?.ino ?? "none";
  return `${paths.shadowPath}\u0000${paths.originPath}\u0000${inode}`;
}
