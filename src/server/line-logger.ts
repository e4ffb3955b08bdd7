import type { Logger } from "./logger.ts";

/** A Logger that writes one JSON object per line (time, level, message fields) to `write`. */
export function createLineLogger(write: (line: string) => void): Logger {
  const emit = (level: string) => (entry: object | string) => {
    const fields = typeof entry === "string" ? { msg: entry } : entry;
    write(JSON.stringify({ time: new Date().toISOString(), level, ...fields }));
  };
  return { info: emit("info"), warn: emit("warn"), error: emit("error") };
}
