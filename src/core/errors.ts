/** Base of every error the service reports to a client; `kind` picks the HTTP status and Connect code. */
export abstract class ServiceError extends Error {
  /** How the server maps this error (see src/server/error-map.ts). */
  abstract readonly kind: "bad_request" | "conflict" | "unauthorized" | "too_large" | "method" | "not_found";
}

/** The request itself is malformed: no command, unknown command, bad `verbose`, bad body. */
export class BadRequestError extends ServiceError {
  override readonly name = "BadRequestError";
  readonly kind = "bad_request" as const;
}

/** The command is not allowed in the current state (CONTRACT §3), or the database is newer than the code. */
export class ConflictError extends ServiceError {
  override readonly name = "ConflictError";
  readonly kind = "conflict" as const;
}

/** Missing or wrong password. The message is always `Unauthorized`. */
export class UnauthorizedError extends ServiceError {
  override readonly name = "UnauthorizedError";
  readonly kind = "unauthorized" as const;
  constructor() {
    super("Unauthorized");
  }
}

/** The request body is larger than the configured limit. */
export class PayloadTooLargeError extends ServiceError {
  override readonly name = "PayloadTooLargeError";
  readonly kind = "too_large" as const;
}

/** The route was called with another method than POST. */
export class MethodNotAllowedError extends ServiceError {
  override readonly name = "MethodNotAllowedError";
  readonly kind = "method" as const;
}

/** No route at that path. */
export class NotFoundError extends ServiceError {
  override readonly name = "NotFoundError";
  readonly kind = "not_found" as const;
}

/** A configuration or migrations-directory problem that stops the start, with one clear message. */
export class StartupError extends Error {
  override readonly name = "StartupError";
}
