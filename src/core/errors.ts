/** The command is not allowed in the current state (CONTRACT §3), or the database is newer than the code. */
export class ConflictError extends Error {
  override readonly name = "ConflictError";
}

/** A configuration or database problem that stops the start, with one clear message. */
export class StartupError extends Error {
  override readonly name = "StartupError";
}
