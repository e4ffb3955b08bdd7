import { type ClientTimeouts, createHttpServer, type HttpServer } from "../../../src/server/http-server.ts";
import type { Logger } from "../../../src/server/logger.ts";
import { FakeApi } from "./fake-api.ts";

/** The password of every server test. */
export const PASSWORD = "s3cret:pässword";

/** `Authorization` value in the form existing clients send: base64 of the password. */
export const PLAIN_AUTH = Buffer.from(PASSWORD, "utf8").toString("base64");

/** Body limit of the test servers (the default of the service). */
export const BODY_LIMIT = 64 * 1024;

/** A logger that keeps its entries, so tests can assert what went to the log (and what did not). */
export class MemoryLogger implements Logger {
  /** Every entry with its level. */
  readonly entries: { level: string; entry: object | string }[] = [];
  /** Records an info entry. */
  info(entry: object | string): void {
    this.entries.push({ level: "info", entry });
  }
  /** Records a warn entry. */
  warn(entry: object | string): void {
    this.entries.push({ level: "warn", entry });
  }
  /** Records an error entry. */
  error(entry: object | string): void {
    this.entries.push({ level: "error", entry });
  }
}

/** A server on 127.0.0.1 with a free port, its fake API and its log. */
export interface TestServer {
  /** `http://127.0.0.1:PORT`. */
  baseUrl: string;
  /** The port. */
  port: number;
  /** The test double behind both faces. */
  api: FakeApi;
  /** Everything the server logged. */
  logger: MemoryLogger;
  /** The server itself. */
  server: HttpServer;
}

/** Starts a server with a fresh FakeApi on 127.0.0.1:0 (with shorter client deadlines when given). */
export async function startTestServer(clientTimeouts?: Partial<ClientTimeouts>): Promise<TestServer> {
  const api = new FakeApi();
  const logger = new MemoryLogger();
  const server = createHttpServer({ api, password: PASSWORD, bodyLimit: BODY_LIMIT, logger, closeGraceMs: 1000, clientTimeouts });
  const { port } = await server.listen(0, "127.0.0.1");
  return { baseUrl: `http://127.0.0.1:${port}`, port, api, logger, server };
}
