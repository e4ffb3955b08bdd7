import pg from "pg";
import { IdleConnections } from "../idle-connections.ts";

/** A worker thread's connections by URL, for range moves and replay batches alike. */
export const workerConnections = new IdleConnections<pg.Client>(
  async (url) => {
    const client = new pg.Client({ connectionString: url, application_name: "migration-service worker" });
    // An error on an idle client (the server went away) must not crash the thread; the next use fails instead.
    client.on("error", () => {});
    await client.connect();
    return client;
  },
  (client) => client.end(),
);
