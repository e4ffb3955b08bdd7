/** Entry point of `npm run bench` (loaded by bin/bench.mjs through tsx). */
import type { BenchStore } from "./bench-database.ts";
import { cleanupAll, cleanupOnSignals } from "./cleanup.ts";
import { resultsOf } from "./figures.ts";
import { HelpRequested, parseOptions, type StoreName } from "./options.ts";
import { postgresStore } from "./postgres-store.ts";
import { storeReport } from "./report-table.ts";
import { writeResults } from "./results-files.ts";
import { runStore } from "./run-store.ts";
import { sqliteStore } from "./sqlite-store.ts";

async function main(): Promise<number> {
  let options;
  try {
    options = parseOptions(process.argv.slice(2), process.env);
  } catch (error) {
    if (error instanceof HelpRequested) {
      console.log(error.message);
      return 0;
    }
    console.error((error as Error).message);
    return 2;
  }
  cleanupOnSignals();
  const stores: Record<StoreName, () => BenchStore> = {
    sqlite: () => sqliteStore(options.databasePrefix),
    postgres: () => postgresStore(options.databaseUrl, options.databasePrefix),
  };
  let failed = false;
  for (const name of options.stores) {
    try {
      const results = resultsOf(await runStore(stores[name](), options));
      const table = storeReport(results);
      console.log(table);
      const files = await writeResults(options.out, results, table);
      console.error(`[bench ${name}] wrote ${files.join(", ")}`);
    } catch (error) {
      failed = true;
      console.error(`[bench ${name}] FAILED: ${(error as Error).stack ?? String(error)}`);
    } finally {
      await cleanupAll();
    }
  }
  return failed ? 1 : 0;
}

const code = await main();
await cleanupAll();
// Keep-alive sockets of fetch would hold the process a few seconds more; everything is flushed by now.
process.exit(code);
