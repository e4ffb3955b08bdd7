/** An undo step: removes something the bench created (a database, a directory, a process). */
export type CleanupStep = () => Promise<void> | void;

const pending = new Set<() => Promise<void>>();

/** Registers `step`; it runs once, when its returned release is called or at `cleanupAll`. */
export function onCleanup(step: CleanupStep): () => Promise<void> {
  let running: Promise<void> | undefined;
  const once = (): Promise<void> =>
    (running ??= (async () => {
      pending.delete(once);
      await step();
    })());
  pending.add(once);
  return once;
}

/** Runs every registered step, newest first; a failure is reported and does not stop the others. */
export async function cleanupAll(): Promise<void> {
  for (const step of [...pending].reverse()) {
    try {
      await step();
    } catch (error) {
      console.error(`bench cleanup failed: ${(error as Error).message}`);
    }
  }
}

/** On SIGINT / SIGTERM: cleans up, then exits 130 / 143. */
export function cleanupOnSignals(): void {
  for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143]] as const) {
    process.once(signal, () => {
      console.error(`\n${signal}: cleaning up…`);
      void cleanupAll().finally(() => process.exit(code));
    });
  }
}
