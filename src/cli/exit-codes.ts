/** The exit codes of every `migrations` command. */
export const ExitCode = {
  /** The command succeeded (for migrate/finalize: it ended in a state that is not failed). */
  OK: 0,
  /** `serve` could not start, the followed command ended in `migration_failed` / `finalization_failed`, a finalize ended without finalizing, or a `plan` prerequisite check refuses. */
  FAILED: 1,
  /** The server rejected the request (bad state, auth, input), or the command line was wrong. */
  REQUEST_ERROR: 2,
  /** The server could not be reached at the URL, or it cannot reach its database: nothing was done, try again later. */
  UNREACHABLE: 3,
} as const;

/** One of the exit codes. */
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** A wrong command line: printed alone, with exit code 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}
