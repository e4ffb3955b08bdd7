import { COMMANDS, isCommand, type Command } from "../core/commands.ts";
import { MAX_ROWS_PER_SECOND } from "../core/throttle-change.ts";
import { BadRequestError } from "./request-errors.ts";

/** A validated body of the JSON route. */
export interface RouteRequest {
  /** The command to run. */
  cmd: Command;
  /** Detail lines in the output; default false. */
  verbose: boolean;
  /** `max_rows_per_second` of `migrate`, `finalize` and `resume`; absent when not sent (other commands ignore the key, as before). */
  maxRowsPerSecond?: number;
  /** `by` of `cancel` as sent (checked by `cancelBy` with the client's address); absent for other commands. */
  by?: unknown;
}

/** The commands that take `max_rows_per_second`. */
const LIMITED: ReadonlySet<Command> = new Set(["migrate", "finalize", "resume"]);


/** Longest piece of a client's value echoed back in an error message. */
const ECHO_LIMIT = 200;

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Parses and validates a body (JSON, then object, then `cmd`, then `verbose`, then `max_rows_per_second`); throws BadRequestError naming the fault. */
export function parseRouteRequest(body: Uint8Array): RouteRequest {
  const value = parseJson(body);
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new BadRequestError(`Request body must be a JSON object, got ${jsonKind(value)}`);
  }
  const fields = value as Record<string, unknown>;
  const cmd = Object.hasOwn(fields, "cmd") ? fields.cmd : undefined;
  if (cmd === undefined || cmd === null || cmd === "") throw new BadRequestError("No command provided");
  if (!isCommand(cmd)) throw new BadRequestError(unknownCommand(cmd));
  const verbose = Object.hasOwn(fields, "verbose") ? fields.verbose : false;
  if (typeof verbose !== "boolean") {
    throw new BadRequestError(`'verbose' must be a boolean, got ${jsonKind(verbose)}`);
  }
  if (cmd === "cancel" && Object.hasOwn(fields, "by")) return { cmd, verbose, by: fields.by };
  if (!LIMITED.has(cmd) || !Object.hasOwn(fields, "max_rows_per_second")) return { cmd, verbose };
  const limit = fields.max_rows_per_second;
  if (typeof limit !== "number" || !Number.isInteger(limit) || limit < 0 || limit > MAX_ROWS_PER_SECOND) {
    throw new BadRequestError(`'max_rows_per_second' must be an integer from 0 (no limit) to ${MAX_ROWS_PER_SECOND}, got ${echo(limit)}`);
  }
  return { cmd, verbose, maxRowsPerSecond: limit };
}

function parseJson(body: Uint8Array): unknown {
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    throw new BadRequestError("Request body is not valid UTF-8");
  }
  if (text.trim() === "") throw new BadRequestError("Request body is empty; expected a JSON object");
  try {
    return JSON.parse(text);
  } catch {
    throw new BadRequestError("Request body is not valid JSON");
  }
}

/**
 * The refusal of an unknown `cmd`: a string keeps the exact text existing clients know (CONTRACT §4); any
 * other JSON value is no command name at all, so the answer lists the valid ones (from the command table).
 */
function unknownCommand(cmd: unknown): string {
  if (typeof cmd === "string") return `Unknown command: ${echo(cmd)}`;
  return `Unknown command: ${echo(cmd)}. Valid commands: ${COMMANDS.join(", ")}`;
}

/** A command value as the client wrote it: strings bare, anything else as JSON, cut at ECHO_LIMIT. */
function echo(value: unknown): string {
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return text.length > ECHO_LIMIT ? `${text.slice(0, ECHO_LIMIT)}…` : text;
}

function jsonKind(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return `a ${typeof value}`;
}
