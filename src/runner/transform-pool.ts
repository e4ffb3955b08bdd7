import { Piscina } from "piscina";
import type { BatchTransformer, RangeJob, ReplayJob } from "../engine/types.ts";

/** Idle transform threads stop after this many ms. */
const IDLE_TIMEOUT_MS = 10_000;
/**
 * Heap caps of a transform thread, in MB. V8 sizes a thread's heap from the machine's memory and, with
 * gigabytes of headroom, lets each thread grow by tens of MB of garbage at a million rows, for no speed.
 * With these caps `npm run bench` measured a peak RSS of about 270 MB instead of 330 MB with 2 threads,
 * with throughput within noise. 1 GB of old generation still leaves room for a transform with large rows;
 * a thread that runs out fails its migration with ERR_WORKER_OUT_OF_MEMORY.
 */
const HEAP_LIMITS = { maxYoungGenerationSizeMb: 24, maxOldGenerationSizeMb: 1024 };

/**
 * A piscina pool of `threads` threads that move key ranges through transforms and replay logged changes, each thread on its own
 * database connection. Threads start on the first range, so commands without transforms pay nothing.
 */
export function createTransformPool(threads: number): BatchTransformer {
  let pool: Piscina | null = null;
  let poolError: Error | null = null;
  const run = async (job: RangeJob | ({ replay: true } & ReplayJob)): Promise<number> => {
    if (poolError !== null) throw poolError;
    if (pool === null) {
      pool = new Piscina({
        filename: new URL("./transform-worker.mjs", import.meta.url).href,
        minThreads: 0,
        maxThreads: Math.max(1, threads),
        idleTimeout: IDLE_TIMEOUT_MS,
        resourceLimits: HEAP_LIMITS,
      });
      pool.on("error", (error: Error) => {
        poolError = error;
      });
    }
    return (await pool.run(job)) as number;
  };
  return {
    async transform(job: RangeJob): Promise<number> {
      return run(job);
    },
    async replay(job: ReplayJob): Promise<number> {
      return run({ ...job, replay: true });
    },
    async close(): Promise<void> {
      const running = pool;
      pool = null;
      await running?.destroy();
    },
  };
}
