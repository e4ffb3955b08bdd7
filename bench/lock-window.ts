import type { RouteClient, StatsAnswer } from "./route-client.ts";
import { sleep } from "./timing.ts";

const LINE = /^finalization: lock window (\d+(?:\.\d+)?) ms$/m;
const POLL_INTERVAL_MS = 50;
const DEADLINE_MS = 30_000;

/** The lock window a verbose finalize output reports (formatMs: `9.5 ms` below 10 ms, `12 ms` above), or undefined before it is there. */
export function lockWindowIn(output: string | undefined): number | undefined {
  const match = LINE.exec(output ?? "");
  return match ? Number(match[1]) : undefined;
}

/**
 * The lock window of the finalize that `final` showed ended. The service appends the line once the swap's
 * COMMIT returned, which can be a moment after stats shows `finalized`: polls stats until it is there.
 */
export async function awaitLockWindow(client: RouteClient, final: StatsAnswer): Promise<number> {
  let output = final.output;
  for (const deadline = Date.now() + DEADLINE_MS; ; await sleep(POLL_INTERVAL_MS)) {
    const found = lockWindowIn(output);
    if (found !== undefined) return found;
    if (Date.now() > deadline) break;
    output = (await client.stats()).output;
  }
  throw new Error(`within ${DEADLINE_MS} ms the verbose finalize output had no "finalization: lock window <N> ms" line:\n${output ?? "(none)"}`);
}
