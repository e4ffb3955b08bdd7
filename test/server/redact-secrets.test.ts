import { describe, expect, it } from "vitest";
import { createSecretRedactor } from "../../src/server/redact-secrets.ts";

describe("createSecretRedactor", () => {
  const redact = createSecretRedactor(["hunter2", "", "hunter2-long"]);
  it.each([
    ["a known secret, every time", "pw hunter2 and hunter2", "pw *** and ***"],
    ["the longer secret first", "hunter2-long", "***"],
    ["the password of any URL", "connect to postgres://app:other@db:5432/x failed", "connect to postgres://app:***@db:5432/x failed"],
    ["a URL without a password stays", "postgres://app@db/x", "postgres://app@db/x"],
    ["text without secrets stays", "database \"mig_1\" does not exist", "database \"mig_1\" does not exist"],
  ])("%s", (_name, text, expected) => {
    expect(redact(text)).toBe(expected);
  });
});
