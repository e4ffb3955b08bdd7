import { createClient, type Client, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MigrationService } from "../../src/gen/migrations/v1/migrations_pb.ts";
import { startService, type StartOptions } from "../../src/server/start-service.ts";
import type { ServiceConfig } from "../../src/config/service-config.ts";
import type { StoreTarget, TestDatabase } from "./store-targets.ts";

/** The password every test service uses. */
export const TEST_PASSWORD = "s3cret-pass";

/** A JSON answer of the route: status code and parsed body. */
export interface RouteAnswer {
  status: number;
  body: Record<string, unknown>;
}

/** A running service on a free port, with clients for each face. */
export interface TestService {
  /** `http://127.0.0.1:PORT`. */
  baseUrl: string;
  /** POSTs a JSON body to /internal/migrations/ with the right password. */
  post(body: unknown): Promise<RouteAnswer>;
  /** Generated Connect client over HTTP/1.1. */
  connect: Client<typeof MigrationService>;
  /** Generated client speaking gRPC over h2c. */
  grpc: Client<typeof MigrationService>;
  /** Polls `stats` until the status is not a running one; returns the last stats body. */
  settle(): Promise<Record<string, unknown>>;
  /** Stops the service (the database stays), stopping a command still running after `graceMs`. */
  close(graceMs?: number): Promise<void>;
}

/** Writes migration files (name → source) into a fresh directory and returns its path. */
export function writeMigrations(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "mig-files-"));
  for (const [name, source] of Object.entries(files)) writeFileSync(join(dir, name), source);
  return dir;
}

/** Removes a directory made by writeMigrations. */
export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Starts the real service in this process on 127.0.0.1:0 against `db` and `migrationsDir`; its log goes to `options.log` (default nowhere). */
export async function startTestService(
  db: TestDatabase, migrationsDir: string, overrides: Partial<ServiceConfig> = {}, options: StartOptions = {},
): Promise<TestService> {
  const service = await startService({
    databaseUrl: db.url,
    migrationsDir,
    host: "127.0.0.1",
    port: 0,
    password: TEST_PASSWORD,
    workers: 2,
    dev: false,
    demo: false,
    bodyLimit: 64 * 1024,
    ...overrides,
  }, { log: () => undefined, ...options });
  const baseUrl = `http://127.0.0.1:${service.port}`;
  const authorization = Buffer.from(TEST_PASSWORD).toString("base64");
  const auth = { interceptors: [authInterceptor(authorization)] };
  const post = async (body: unknown): Promise<RouteAnswer> => {
    const response = await fetch(`${baseUrl}/internal/migrations/`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  return {
    baseUrl,
    post,
    connect: createClient(MigrationService, createConnectTransport({ baseUrl, httpVersion: "1.1", ...auth })),
    grpc: createClient(MigrationService, createGrpcTransport({ baseUrl, ...auth })),
    async settle() {
      const deadline = Date.now() + 30_000;
      for (;;) {
        const answer = await post({ cmd: "stats" });
        const stats = answer.body.stats as Record<string, unknown>;
        if (!String(stats.status).endsWith("_running")) return stats;
        if (Date.now() > deadline) throw new Error(`still running after 30 s: ${JSON.stringify(stats)}`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    },
    close: (graceMs) => service.close(graceMs),
  };
}

function authInterceptor(authorization: string): Interceptor {
  return (next) => async (req) => {
    req.header.set("authorization", authorization);
    return next(req);
  };
}

/**
 * A fresh database of `target` set up by `schema`, with a service on the migrations `files`; `cleanups` gets
 * the step that stops the service, drops the database and removes the directory.
 */
export async function serveFresh(
  target: StoreTarget, schema: string, files: Record<string, string>, cleanups: (() => Promise<void>)[],
): Promise<{ db: TestDatabase; service: TestService }> {
  const db = await target.create();
  await db.exec(schema);
  const dir = writeMigrations(files);
  const service = await startTestService(db, dir);
  cleanups.push(async () => {
    await service.close();
    await db.drop();
    removeDir(dir);
  });
  return { db, service };
}
