/** The command is not allowed in the current state (CONTRACT §3), or the database is newer than the code. */
export class ConflictError extends Error {
  override readonly name = "ConflictError";
}

/** How the message of every DatabaseUnavailableError begins, on every face (the CLI tells it from a proxy's 503 by it). */
export const DATABASE_UNAVAILABLE = "database unavailable";

/**
 * The database cannot be reached now (connections refused or cut, the database or its file gone): the
 * request changed nothing and may be repeated later. Faces answer 503 / `unavailable`.
 */
export class DatabaseUnavailableError extends Error {
  override readonly name = "DatabaseUnavailableError";
  constructor(reason: string, options?: ErrorOptions) {
    super(`${DATABASE_UNAVAILABLE}: ${reason.replace(/\s+/g, " ").trim()}`, options);
  }
}

/** A configuration or database problem that stops the start, with one clear message. */
export class StartupError extends Error {
  override readonly name = "StartupError";
}
