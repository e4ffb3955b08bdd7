import { Piscina } from "piscina";
import type { BatchTransformer, RangeJob } from "../engine/types.ts";

/** Idle transform threads stop after this many ms. */
const IDLE_TIMEOUT_MS = 10_000;
/**
 * Young-generation cap of a transform thread, in MB. V8 sizes it from the machine's memory; at a
 * million rows the default let each thread grow by tens of MB for no speed (`npm run bench`: peak RSS
 * 330 → 275 MB with 2 threads, throughput within noise). The old generation keeps V8's default, so a
 * transform with large rows is not starved.
 */
const YOUNG_GENERATION_MB = 24;

/**
 * A piscina pool of `threads` threads that move key ranges through transforms, each thread on its own
 * database connection. Threads start on the first range, so commands without transforms pay nothing.
 */
export function createTransformPool(threads: number): BatchTransformer {
  let pool: Piscina | null = null;
  let poolError: Error | null = null;
  return {
    async transform(job: RangeJob): Promise<number> {
      if (poolError !== null) throw poolError;
      if (pool === null) {
        pool = new Piscina({
          filename: new URL("./transform-worker.mjs", import.meta.url).href,
          minThreads: 0,
          maxThreads: Math.max(1, threads),
          idleTimeout: IDLE_TIMEOUT_MS,
          resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB },
        });
        pool.on("error", (error: Error) => {
          poolError = error;
        });
      }
      return (await pool.run(job)) as number;
    },
    async close(): Promise<void> {
      const running = pool;
      pool = null;
      await running?.destroy();
    },
  };
}
