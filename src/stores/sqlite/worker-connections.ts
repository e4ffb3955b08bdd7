import { IdleConnections } from "../idle-connections.ts";
import { type Connection, openConnection } from "./connection.ts";

/**
 * A worker thread's connections, keyed `<shadow path>\0<origin path>`: the shadow file as `main` with the
 * database attached as `origin`, foreign keys off (the shadow is checked at the swap).
 */
export const workerConnections = new IdleConnections<Connection>(
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
);
