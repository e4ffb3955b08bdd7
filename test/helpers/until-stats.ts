/** Anything that posts to the JSON route: an in-process test service or a child process. */
export interface RoutePoster {
  post(body: unknown): Promise<{ body: Record<string, unknown> }>;
}

/**
 * Polls `stats` every 50 ms until `done` holds and returns those stats; after `ms` (generous: the machine may
 * be loaded) throws naming `what`, with the last stats (their output cut to its last 500 characters).
 */
export async function untilStats<S>(service: RoutePoster, what: string, done: (stats: S) => boolean, ms = 60_000): Promise<S> {
  const deadline = Date.now() + ms;
  for (;;) {
    const stats = (await service.post({ cmd: "stats" })).body.stats as S;
    if (done(stats)) return stats;
    if (Date.now() > deadline) {
      const shown = JSON.stringify(stats, (key, value: unknown) => (key === "output" && typeof value === "string" ? value.slice(-500) : value));
      throw new Error(`no ${what} within ${ms / 1000} s: ${shown}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
