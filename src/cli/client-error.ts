import { Code, ConnectError } from "@connectrpc/connect";
import { DATABASE_UNAVAILABLE } from "../core/errors.ts";
import { ExitCode } from "./exit-codes.ts";

/** Socket error codes that mean the service is not there (rather than that it said no). */
const NETWORK_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ENOTFOUND", "EAI_AGAIN", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "EPIPE"]);

/** The `code` of the first error in the cause chain that has one of NETWORK_CODES. */
function networkCode(error: unknown): string | undefined {
  for (let e = error, depth = 0; e instanceof Error && depth < 10; e = e.cause, depth++) {
    const code = (e as NodeJS.ErrnoException).code;
    if (typeof code === "string" && NETWORK_CODES.has(code)) return code;
  }
  return undefined;
}

/** `FailedPrecondition` → `failed_precondition`, as Connect names its codes on the wire. */
function codeName(code: Code): string {
  return (Code[code] ?? "unknown").replace(/(?<!^)([A-Z])/g, "_$1").toLowerCase();
}

/** How a failed call is reported: the exit code and one message for stderr. */
export function describeClientError(error: unknown, url: string): { exitCode: ExitCode; message: string } {
  const network = networkCode(error);
  if (network === undefined && error instanceof ConnectError && error.code === Code.Unavailable && error.rawMessage.startsWith(`${DATABASE_UNAVAILABLE}:`)) {
    const reason = error.rawMessage.slice(DATABASE_UNAVAILABLE.length + 1).trim();
    return { exitCode: ExitCode.UNREACHABLE, message: `The migration service at ${url} cannot reach its database: ${reason}` };
  }
  if (network || (error instanceof ConnectError && error.code === Code.Unavailable)) {
    const reason = network ?? (error as ConnectError).rawMessage;
    return { exitCode: ExitCode.UNREACHABLE, message: `Cannot reach the migration service at ${url} (${reason}). Is it running?` };
  }
  if (error instanceof ConnectError) {
    return { exitCode: ExitCode.REQUEST_ERROR, message: `Request failed (${codeName(error.code)}): ${error.rawMessage}` };
  }
  return { exitCode: ExitCode.REQUEST_ERROR, message: `Request failed: ${error instanceof Error ? error.message : String(error)}` };
}
