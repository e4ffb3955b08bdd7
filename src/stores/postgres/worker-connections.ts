import pg from "pg";
import { ConnectionSlots } from "../connection-slots.ts";

async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, application_name: "migration-service worker" });
  // An error on an idle client (the server went away) must not crash the thread; the next use fails instead.
  client.on("error", () => {});
  await client.connect();
  return client;
}

/** A worker thread's connections by URL, one per range move or replay batch it runs at a time. */
export const workerConnections = new ConnectionSlots<pg.Client>(connect, (client) => client.end());

/** A worker thread's second connections by URL: a range move reads its rows on one while it writes them on the other. */
export const readerConnections = new ConnectionSlots<pg.Client>(connect, (client) => client.end());
