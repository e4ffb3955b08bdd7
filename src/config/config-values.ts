import { StartupError } from "../core/errors.ts";

/** Parses a TCP port 0-65535 (0 picks a free port); `source` names the flag or variable in the error. */
export function parsePort(value: string, source: string): number {
  const port = /^\d{1,5}$/.test(value.trim()) ? Number(value.trim()) : NaN;
  if (!Number.isInteger(port) || port > 65535) {
    throw new StartupError(`${source} must be a port number from 0 to 65535, got "${value}"`);
  }
  return port;
}

/** Parses a positive decimal integer; `source` names the flag or variable in the error. */
export function parsePositiveInt(value: string, source: string): number {
  const number = /^\d+$/.test(value.trim()) ? Number(value.trim()) : NaN;
  if (!Number.isSafeInteger(number) || number < 1) {
    throw new StartupError(`${source} must be a positive integer, got "${value}"`);
  }
  return number;
}

/** Parses a decimal integer from 0 to `max`; `source` names the flag or variable in the error. */
export function parseBoundedInt(value: string, max: number, source: string): number {
  const number = /^\d+$/.test(value.trim()) ? Number(value.trim()) : NaN;
  if (!Number.isSafeInteger(number) || number > max) throw new StartupError(`${source} must be an integer from 0 to ${max}, got "${value}"`);
  return number;
}

/** Parses a boolean environment variable: 1/true/yes/on or 0/false/no/off/empty, case-insensitive. */
export function parseEnvBoolean(value: string | undefined, source: string): boolean {
  const text = (value ?? "").trim().toLowerCase();
  if (["1", "true", "yes", "on"].includes(text)) return true;
  if (["", "0", "false", "no", "off"].includes(text)) return false;
  throw new StartupError(`${source} must be 1 or 0, got "${value}"`);
}

/** The first value that is set and non-empty: a flag wins over an environment variable. */
export function firstSet(...values: (string | undefined)[]): string | undefined {
  return values.find((value) => value !== undefined && value !== "");
}

/** The log levels of `--log-level` / `LOG_LEVEL`, most verbose first (pino's names). */
export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;

/** One of LOG_LEVELS; `silent` logs nothing. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Parses a log level, case-insensitively; anything else is a StartupError listing the valid ones. */
export function parseLogLevel(value: string, source: string): LogLevel {
  const level = value.trim().toLowerCase();
  const known = LOG_LEVELS.find((candidate) => candidate === level);
  if (known === undefined) throw new StartupError(`${source} must be one of ${LOG_LEVELS.join(", ")}, got "${value}"`);
  return known;
}
