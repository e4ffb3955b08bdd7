import { createClient, ConnectError, Code } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UnauthorizedError } from "../../src/server/request-errors.ts";
import { MigrationService } from "../../src/gen/migrations/v1/migrations_pb.ts";
import { createAuthenticator, passwordFromHeader } from "../../src/server/auth.ts";
import { json, request1 } from "./support/raw-http.ts";
import { PASSWORD, PLAIN_AUTH, startTestServer, type TestServer } from "./support/start-server.ts";

const b64 = (text: string) => Buffer.from(text, "utf8").toString("base64");

/** Header value (undefined = no header) → accepted? */
const cases: { name: string; header: string | undefined; ok: boolean }[] = [
  { name: "plain base64(password)", header: PLAIN_AUTH, ok: true },
  { name: "plain, surrounding spaces", header: `  ${PLAIN_AUTH} `, ok: true },
  { name: "plain, URL-safe alphabet", header: PLAIN_AUTH.replace(/\+/g, "-").replace(/\//g, "_"), ok: true },
  { name: "Basic user:password", header: `Basic ${b64(`admin:${PASSWORD}`)}`, ok: true },
  { name: "Basic any user", header: `Basic ${b64(`someone-else:${PASSWORD}`)}`, ok: true },
  { name: "Basic empty user", header: `Basic ${b64(`:${PASSWORD}`)}`, ok: true },
  { name: "basic, lowercase scheme", header: `basic ${b64(`u:${PASSWORD}`)}`, ok: true },
  { name: "missing", header: undefined, ok: false },
  { name: "empty", header: "", ok: false },
  { name: "plain wrong password", header: b64("wrong"), ok: false },
  { name: "plain password prefix", header: b64(PASSWORD.slice(0, -1)), ok: false },
  { name: "plain password plus suffix", header: b64(`${PASSWORD}x`), ok: false },
  { name: "plain, not base64-encoded", header: PASSWORD, ok: false },
  { name: "garbage base64", header: "!!!###", ok: false },
  { name: "valid base64 then garbage", header: `${PLAIN_AUTH}!!`, ok: false },
  { name: "Basic wrong password", header: `Basic ${b64("admin:wrong")}`, ok: false },
  { name: "Basic without colon", header: `Basic ${b64(PASSWORD)}`, ok: false },
  { name: "Basic without token", header: "Basic", ok: false },
  { name: "Basic garbage", header: "Basic %%%", ok: false },
  { name: "Bearer scheme", header: `Bearer ${PLAIN_AUTH}`, ok: false },
];

describe("createAuthenticator", () => {
  const authenticate = createAuthenticator(PASSWORD);
  it.each(cases)("$name → ok=$ok", ({ header, ok }) => {
    if (ok) expect(() => authenticate(header)).not.toThrow();
    else expect(() => authenticate(header)).toThrow(UnauthorizedError);
  });

  it("with a password file's forms: base64 of its exact bytes and of its content without the newline, in both header forms", () => {
    const fromFile = createAuthenticator([Buffer.from("pw\n"), Buffer.from("pw")]);
    for (const header of [b64("pw\n"), b64("pw"), `Basic ${b64("u:pw\n")}`, `Basic ${b64("u:pw")}`]) expect(() => fromFile(header)).not.toThrow();
    for (const header of [b64("pw\n\n"), b64("p"), b64(" pw"), b64("pw\r\n")]) expect(() => fromFile(header)).toThrow(UnauthorizedError);
  });

  it("splits Basic credentials at the first colon, so passwords may contain colons", () => {
    expect(passwordFromHeader(`Basic ${b64("u:a:b")}`)?.toString()).toBe("a:b");
  });

  it("never puts the password into the error", () => {
    try {
      authenticate(b64("wrong"));
    } catch (error) {
      expect(String((error as Error).message)).toBe("Unauthorized");
      expect(JSON.stringify(error)).not.toContain(PASSWORD);
    }
  });
});

describe("both faces use the same check", () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(() => t.server.close());

  it.each(cases)("JSON route: $name", async ({ header, ok }) => {
    const headers: Record<string, string> = header === undefined ? {} : { authorization: header };
    const response = await request1(t.port, { body: '{"cmd":"stats"}', headers });
    expect(response.status).toBe(ok ? 200 : 401);
    if (!ok) expect(json(response)).toStrictEqual({ success: false, message: "Unauthorized" });
  });

  it.each(cases)("Connect: $name", async ({ header, ok }) => {
    const client = createClient(MigrationService, createConnectTransport({ baseUrl: t.baseUrl, httpVersion: "1.1" }));
    const headers: Record<string, string> = header === undefined ? {} : { authorization: header };
    const call = client.stats({}, { headers });
    if (ok) {
      await expect(call).resolves.toBeDefined();
    } else {
      const error = await call.then(() => undefined, (e: unknown) => ConnectError.from(e));
      expect(error?.code).toBe(Code.Unauthenticated);
      expect(error?.rawMessage).toBe("Unauthorized");
    }
  });
});
