import { pino, stdTimeFunctions, type LevelWithSilent } from "pino";
import type { Logger } from "./logger.ts";

/** What the pino logger of the service is built from. */
export interface PinoLoggerOptions {
  /** Least severe level written; `silent` writes nothing. Default `info`. */
  level?: LevelWithSilent;
  /** Receives each log line, one JSON object without the trailing newline. */
  write: (line: string) => void;
}

/**
 * Fields pino replaces by `[Redacted]` wherever they appear (one level deep). The service never logs
 * headers or secrets on purpose; this is the safety net should a future line carry them.
 */
export const REDACTED_PATHS: readonly string[] = [
  "password", "*.password", "authorization", "*.authorization", "headers.authorization", "*.headers.authorization",
  "databaseUrl", "*.databaseUrl",
];

/**
 * The service's Logger on pino: one JSON line per entry, `{"level":"info","time":"<ISO>","msg":…,…}`,
 * written synchronously to `write`. A string entry becomes `msg`; an object entry's fields are the line's.
 */
export function createPinoLogger(options: PinoLoggerOptions): Logger {
  const logger = pino(
    {
      level: options.level ?? "info",
      base: undefined,
      timestamp: stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: [...REDACTED_PATHS] },
    },
    { write: (chunk: string) => options.write(chunk.endsWith("\n") ? chunk.slice(0, -1) : chunk) },
  );
  return {
    info: (entry) => logger.info(entry),
    warn: (entry) => logger.warn(entry),
    error: (entry) => logger.error(entry),
  };
}
