import { describe, expect, it } from "vitest";
import { LOG_LEVELS } from "../../src/config/config-values.ts";
import { createPinoLogger } from "../../src/server/pino-logger.ts";

function capture(level?: (typeof LOG_LEVELS)[number]) {
  const lines: string[] = [];
  const logger = createPinoLogger({ level, write: (line) => lines.push(line) });
  return { logger, lines, parsed: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

describe("createPinoLogger", () => {
  it("writes one JSON object per entry, without a newline: level name, ISO time, msg and the entry's fields", () => {
    const { logger, lines, parsed } = capture();
    logger.info("demo data seeded");
    logger.warn({ msg: "request aborted", face: "json" });
    expect(lines.every((line) => !line.includes("\n"))).toBe(true);
    expect(parsed()).toEqual([
      { level: "info", time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/), msg: "demo data seeded" },
      { level: "warn", time: expect.any(String), msg: "request aborted", face: "json" },
    ]);
  });

  it.each([
    ["info (default)", undefined, ["info", "warn", "error"]],
    ["trace", "trace", ["info", "warn", "error"]],
    ["warn", "warn", ["warn", "error"]],
    ["error", "error", ["error"]],
    ["fatal", "fatal", []],
    ["silent", "silent", []],
  ] as const)("level %s writes %j", (_name, level, written) => {
    const { logger, parsed } = capture(level);
    logger.info("i");
    logger.warn("w");
    logger.error("e");
    expect(parsed().map((line) => line.level)).toEqual(written);
  });

  it("redacts password and authorization fields should a line ever carry them", () => {
    const { logger, lines } = capture();
    logger.info({ msg: "x", password: "hunter2", headers: { authorization: "aHVudGVyMg==" }, req: { authorization: "Basic abc" } });
    expect(lines.join("")).not.toMatch(/hunter2|aHVudGVyMg|Basic abc/);
    expect(JSON.parse(lines[0]!)).toMatchObject({ password: "[Redacted]", headers: { authorization: "[Redacted]" } });
  });
});
