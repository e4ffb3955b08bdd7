/** Base of the errors of a request itself (before any command runs); `kind` picks the HTTP status and Connect code. */
export abstract class RequestError extends Error {
  /** How the server maps this error (see error-map.ts). */
  abstract readonly kind: "bad_request" | "unauthorized" | "too_large" | "method" | "not_found";
}

/** The request itself is malformed: no command, unknown command, bad `verbose`, bad body. */
export class BadRequestError extends RequestError {
  override readonly name = "BadRequestError";
  readonly kind = "bad_request" as const;
}

/** Missing or wrong password. The message is always `Unauthorized`. */
export class UnauthorizedError extends RequestError {
  override readonly name = "UnauthorizedError";
  readonly kind = "unauthorized" as const;
  constructor() {
    super("Unauthorized");
  }
}

/** The request body is larger than the configured limit. */
export class PayloadTooLargeError extends RequestError {
  override readonly name = "PayloadTooLargeError";
  readonly kind = "too_large" as const;
}

/** The route was called with another method than POST. */
export class MethodNotAllowedError extends RequestError {
  override readonly name = "MethodNotAllowedError";
  readonly kind = "method" as const;
}

/** No route at that path. */
export class NotFoundError extends RequestError {
  override readonly name = "NotFoundError";
  readonly kind = "not_found" as const;
}
