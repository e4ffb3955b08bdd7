import type { BatchTransformer } from "../engine/types.ts";
import runTransformJob from "./transform-task.ts";

/**
 * Runs range and replay jobs on the calling thread: for the replay between commands, whose batches are
 * few and small, so starting transform threads (and their TypeScript loader) would cost more than the work.
 */
export function inlineTransformer(): BatchTransformer {
  return {
    transform: (job) => runTransformJob(job),
    replay: (job) => runTransformJob({ ...job, replay: true }),
    close: async () => {},
  };
}
