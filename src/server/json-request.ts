import { isCommand, type Command } from "../core/commands.ts";
import { BadRequestError } from "./request-errors.ts";

/** A validated body of the JSON route. */
export interface RouteRequest {
  /** The command to run. */
  cmd: Command;
  /** Detail lines in the output; default false. */
  verbose: boolean;
}

/** Longest piece of a client's value echoed back in an error message. */
const ECHO_LIMIT = 200;

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Parses and validates a body (JSON, then object, then `cmd`, then `verbose`); throws BadRequestError naming the fault. */
export function parseRouteRequest(body: Uint8Array): RouteRequest {
  const value = parseJson(body);
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new BadRequestError(`Request body must be a JSON object, got ${jsonKind(value)}`);
  }
  const fields = value as Record<string, unknown>;
  const cmd = Object.hasOwn(fields, "cmd") ? fields.cmd : undefined;
  if (cmd === undefined || cmd === null || cmd === "") throw new BadRequestError("No command provided");
  if (!isCommand(cmd)) throw new BadRequestError(`Unknown command: ${echo(cmd)}`);
  const verbose = Object.hasOwn(fields, "verbose") ? fields.verbose : false;
  if (typeof verbose !== "boolean") {
    throw new BadRequestError(`'verbose' must be a boolean, got ${jsonKind(verbose)}`);
  }
  return { cmd, verbose };
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
