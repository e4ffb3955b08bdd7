import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { StartupError } from "../../src/core/errors.ts";
import { DEMO_MIGRATIONS_DIR, PACKAGE_ROOT } from "../../src/config/package-root.ts";
import { NO_PASSWORD_MESSAGE, resolveServeConfig } from "../../src/config/resolve-serve-config.ts";
import type { ServiceConfig } from "../../src/config/service-config.ts";

const dir = mkdtempSync(join(tmpdir(), "config-test-"));
const file = (name: string, text: string): string => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const secret = file("secret", "s3cret\n");
const other = file("other", "from-env");
const cwd = process.cwd();

type Row = [name: string, argv: string[], env: NodeJS.ProcessEnv, expected: Partial<ServiceConfig>];

describe("resolveServeConfig: settings, flags over environment over defaults", () => {
  const base = ["--password-file", secret];
  const rows: Row[] = [
    ["defaults", base, {}, {
      databaseUrl: `sqlite:${resolve(cwd, "data/migrations.db")}`, migrationsDir: resolve(cwd, "migrations"),
      host: "127.0.0.1", port: 9011, password: "s3cret", workers: availableParallelism(), dev: false, demo: false, bodyLimit: 65536,
      logLevel: "info", createDatabase: false,
    }],
    ["--database sqlite:PATH", [...base, "--database", "sqlite:/tmp/a.db"], {}, { databaseUrl: "sqlite:/tmp/a.db" }],
    ["--database sqlite:relative", [...base, "--database", "sqlite:x/b.db"], {}, { databaseUrl: `sqlite:${resolve(cwd, "x/b.db")}` }],
    ["--database sqlite:///abs", [...base, "--database", "sqlite:///tmp/c.db"], {}, { databaseUrl: "sqlite:/tmp/c.db" }],
    ["--database sqlite://relative", [...base, "--database", "sqlite://d.db"], {}, { databaseUrl: `sqlite:${resolve(cwd, "d.db")}` }],
    ["--database postgres://", [...base, "--database", "postgres://u:p@h:5432/db"], {}, { databaseUrl: "postgres://u:p@h:5432/db" }],
    ["--database postgresql://", [...base, "--database", "postgresql://h/db"], {}, { databaseUrl: "postgresql://h/db" }],
    ["DATABASE_URL", base, { DATABASE_URL: "sqlite:/tmp/env.db" }, { databaseUrl: "sqlite:/tmp/env.db" }],
    ["--database over DATABASE_URL", [...base, "--database", "sqlite:/tmp/flag.db"], { DATABASE_URL: "sqlite:/tmp/env.db" }, { databaseUrl: "sqlite:/tmp/flag.db" }],
    ["--migrations", [...base, "--migrations", "m"], {}, { migrationsDir: resolve(cwd, "m") }],
    ["MIGRATIONS_DIR", base, { MIGRATIONS_DIR: "/srv/m" }, { migrationsDir: "/srv/m" }],
    ["--migrations over MIGRATIONS_DIR", [...base, "--migrations", "/a"], { MIGRATIONS_DIR: "/b" }, { migrationsDir: "/a" }],
    ["--host", [...base, "--host", "0.0.0.0"], {}, { host: "0.0.0.0" }],
    ["HOST", base, { HOST: "::" }, { host: "::" }],
    ["--host over HOST", [...base, "--host", "10.0.0.1"], { HOST: "::" }, { host: "10.0.0.1" }],
    ["--port", [...base, "--port", "9100"], {}, { port: 9100 }],
    ["--port 0", [...base, "--port", "0"], {}, { port: 0 }],
    ["--port 65535", [...base, "--port", "65535"], {}, { port: 65535 }],
    ["PORT", base, { PORT: "8080" }, { port: 8080 }],
    ["--port over PORT", [...base, "--port", "1"], { PORT: "8080" }, { port: 1 }],
    ["INTERNAL_AUTH_PASSWORD_FILE", [], { INTERNAL_AUTH_PASSWORD_FILE: other }, { password: "from-env" }],
    ["--password-file over env", base, { INTERNAL_AUTH_PASSWORD_FILE: other }, { password: "s3cret" }],
    ["--workers", [...base, "--workers", "3"], {}, { workers: 3 }],
    ["MIGRATION_WORKERS", base, { MIGRATION_WORKERS: "5" }, { workers: 5 }],
    ["--workers over env", [...base, "--workers", "2"], { MIGRATION_WORKERS: "5" }, { workers: 2 }],
    ["--body-limit", [...base, "--body-limit", "1024"], {}, { bodyLimit: 1024 }],
    ["--log-level", [...base, "--log-level", "debug"], {}, { logLevel: "debug" }],
    ["--log-level=silent", [...base, "--log-level=silent"], {}, { logLevel: "silent" }],
    ["LOG_LEVEL", base, { LOG_LEVEL: "warn" }, { logLevel: "warn" }],
    ["--log-level over LOG_LEVEL", [...base, "--log-level", "trace"], { LOG_LEVEL: "error" }, { logLevel: "trace" }],
    ["--shutdown-grace in seconds", [...base, "--shutdown-grace", "3"], {}, { shutdownGraceMs: 3000 }],
    ["MIGRATION_SHUTDOWN_GRACE, and the default of 10 s", base, { MIGRATION_SHUTDOWN_GRACE: "2" }, { shutdownGraceMs: 2000 }],
    ["--stall-timeout in seconds", [...base, "--stall-timeout", "30"], {}, { stallTimeoutMs: 30_000 }],
    ["the store's own finalize lock wait by default", base, {}, { finalizeLockWaitMs: undefined }],
    ["--finalize-lock-wait in seconds", [...base, "--finalize-lock-wait", "30"], {}, { finalizeLockWaitMs: 30_000 }],
    ["MIGRATION_FINALIZE_LOCK_WAIT", base, { MIGRATION_FINALIZE_LOCK_WAIT: "2" }, { finalizeLockWaitMs: 2000 }],
    ["no rows-per-second limit by default", base, {}, { maxRowsPerSecond: 0 }],
    ["--max-rows-per-second", [...base, "--max-rows-per-second", "5000"], {}, { maxRowsPerSecond: 5000 }],
    ["--max-rows-per-second over MIGRATION_MAX_ROWS_PER_SECOND", [...base, "--max-rows-per-second", "0"], { MIGRATION_MAX_ROWS_PER_SECOND: "100" }, { maxRowsPerSecond: 0 }],
    ["MIGRATION_MAX_ROWS_PER_SECOND", base, { MIGRATION_MAX_ROWS_PER_SECOND: "100" }, { maxRowsPerSecond: 100 }],
    ["LOG_LEVEL is case-insensitive", base, { LOG_LEVEL: " FATAL " }, { logLevel: "fatal" }],
    ["empty env values count as unset", base, { PORT: "", HOST: "", DATABASE_URL: "" }, { port: 9011, host: "127.0.0.1" }],
  ];
  it.each(rows)("%s", async (_name, argv, env, expected) => {
    expect(await resolveServeConfig(argv, env)).toMatchObject(expected);
  });
});

describe("resolveServeConfig: password file", () => {
  const rows: [name: string, text: string, password: string][] = [
    ["strips one \\n", "pw\n", "pw"],
    ["strips one \\r\\n", "pw\r\n", "pw"],
    ["strips only one newline", "pw\n\n", "pw\n"],
    ["keeps other whitespace", " pw \t", " pw \t"],
    ["no newline", "pw", "pw"],
  ];
  it.each(rows)("%s", async (name, text, password) => {
    const path = file(`pw-${name.replace(/\W/g, "")}`, text);
    expect((await resolveServeConfig(["--password-file", path], {})).password).toBe(password);
  });
});

describe("resolveServeConfig: the password forms a client may send", () => {
  it.each([
    ["a file ending in \\n: its exact bytes and without the newline", "pw\n", ["pw\n", "pw"]],
    ["a file ending in \\r\\n", "pw\r\n", ["pw\r\n", "pw"]],
    ["a file without a newline: just its bytes", "pw", ["pw"]],
  ])("%s", async (_name, text, forms) => {
    const path = file(`forms-${forms.length}-${text.length}`, text);
    expect((await resolveServeConfig(["--password-file", path], {})).passwordForms).toEqual(forms.map((form) => Buffer.from(form)));
  });

  it("dev mode without a file has none: the password text is the one form", async () => {
    expect((await resolveServeConfig(["--dev"], {})).passwordForms).toBeUndefined();
  });
});

describe("resolveServeConfig: password file permissions", () => {
  it("warns when every user may read the password file, and not when only its owner may", async () => {
    const open = file("open-pw", "pw");
    chmodSync(open, 0o644);
    expect((await resolveServeConfig(["--password-file", open], {})).warnings).toEqual([
      `The password file ${open} is readable by every user of this machine (mode 644); restrict it, e.g. chmod 600`,
    ]);
    const closed = file("closed-pw", "pw");
    chmodSync(closed, 0o600);
    expect((await resolveServeConfig(["--password-file", closed], {})).warnings).toEqual([]);
  });
});

describe("resolveServeConfig: dev and demo mode", () => {
  const rows: Row[] = [
    ["--dev: password dev, 127.0.0.1 whatever --host says", ["--dev", "--host", "0.0.0.0"], {}, { dev: true, password: "dev", host: "127.0.0.1", demo: false }],
    ["MIGRATIONS_DEV=1", [], { MIGRATIONS_DEV: "1", HOST: "0.0.0.0" }, { dev: true, password: "dev", host: "127.0.0.1" }],
    ["MIGRATIONS_DEV=true", [], { MIGRATIONS_DEV: "true" }, { dev: true }],
    ["OPENSLIDES_DEVELOPMENT=1: dev mode with the anchor's password", [], { OPENSLIDES_DEVELOPMENT: "1", HOST: "0.0.0.0" }, { dev: true, password: "openslides", host: "127.0.0.1" }],
    ["OPENSLIDES_DEVELOPMENT=true", [], { OPENSLIDES_DEVELOPMENT: "true" }, { dev: true, password: "openslides" }],
    ["--dev-password sets dev mode's password", ["--dev", "--dev-password", "s3"], {}, { dev: true, password: "s3" }],
    ["--dev-password wins over OPENSLIDES_DEVELOPMENT's", ["--dev-password", "s3"], { OPENSLIDES_DEVELOPMENT: "1" }, { dev: true, password: "s3" }],
    ["OPENSLIDES_DEVELOPMENT=1 with a password file keeps the file's password", ["--password-file", secret], { OPENSLIDES_DEVELOPMENT: "1" }, { dev: true, password: "s3cret" }],
    ["MIGRATIONS_DEV=0 with a password file", ["--password-file", secret], { MIGRATIONS_DEV: "0" }, { dev: false }],
    ["--dev with a password file keeps the file's password", ["--dev", "--password-file", secret], {}, { dev: true, password: "s3cret", host: "127.0.0.1" }],
    ["--demo alone: demo migrations, dev mode", ["--demo"], {}, { demo: true, dev: true, password: "dev", migrationsDir: DEMO_MIGRATIONS_DIR }],
    ["--demo with a password file: not dev", ["--demo", "--password-file", secret], {}, { demo: true, dev: false, password: "s3cret" }],
    ["--demo with INTERNAL_AUTH_PASSWORD_FILE: not dev", ["--demo"], { INTERNAL_AUTH_PASSWORD_FILE: other }, { demo: true, dev: false, password: "from-env" }],
    ["--demo with --migrations: no demo", ["--demo", "--dev", "--migrations", "/m"], {}, { demo: false, migrationsDir: "/m" }],
    ["--demo with MIGRATIONS_DIR: no demo", ["--demo", "--dev"], { MIGRATIONS_DIR: "/m" }, { demo: false, migrationsDir: "/m" }],
    ["--demo keeps --database", ["--demo", "--database", "sqlite:/tmp/demo.db"], {}, { demo: true, databaseUrl: "sqlite:/tmp/demo.db" }],
    ["--create", ["--dev", "--create"], {}, { createDatabase: true }],
    ["--demo implies --create", ["--demo"], {}, { createDatabase: true }],
    ["--demo with --migrations still creates ./data", ["--demo", "--dev", "--migrations", "/m"], {}, { demo: false, createDatabase: true }],
  ];
  it.each(rows)("%s", async (_name, argv, env, expected) => {
    expect(await resolveServeConfig(argv, env)).toMatchObject(expected);
  });

  it("the demo migrations directory is the package's, not the working directory's", () => {
    expect(DEMO_MIGRATIONS_DIR).toBe(join(PACKAGE_ROOT, "migrations"));
    expect(PACKAGE_ROOT).toBe(resolve(import.meta.dirname, "../.."));
  });
});

describe("resolveServeConfig: errors", () => {
  const dev = ["--dev"];
  const rows: [name: string, argv: string[], env: NodeJS.ProcessEnv, message: RegExp][] = [
    ["no password file, no dev mode", [], {}, new RegExp(`^${NO_PASSWORD_MESSAGE.replace(/[()]/g, "\\$&")}$`)],
    ["--migrations without --demo needs a password", ["--migrations", "/m"], {}, /^No password file/],
    ["--demo with --migrations needs a password", ["--demo", "--migrations", "/m"], {}, /^No password file/],
    ["unknown flag", ["--dev", "--prot", "1"], {}, /Unknown option '--prot'.*Valid flags: --database, --migrations, --host, --port, --password-file, --workers, --stall-timeout, --shutdown-grace, --max-finalize-backlog, --finalize-lock-wait, --max-rows-per-second, --body-limit, --log-level, --dev, --dev-password, --demo, --create, --help/],
    ["flag without value", ["--dev", "--port"], {}, /--port.*Valid flags/],
    ["stray argument", ["--dev", "extra"], {}, /Unexpected argument 'extra'/],
    ["port not a number", [...dev, "--port", "http"], {}, /--port must be a port number from 0 to 65535, got "http"/],
    ["port too large", [...dev, "--port", "65536"], {}, /--port must be a port number/],
    ["port negative", [...dev, "--port=-1"], {}, /--port must be a port number/],
    ["PORT invalid names PORT", dev, { PORT: "9.5" }, /^PORT must be a port number/],
    ["workers zero", [...dev, "--workers", "0"], {}, /--workers must be a positive integer, got "0"/],
    ["rows per second not a number", [...dev, "--max-rows-per-second", "fast"], {}, /^--max-rows-per-second must be an integer from 0 to 4294967295, got "fast"$/],
    ["MIGRATION_MAX_ROWS_PER_SECOND too large", dev, { MIGRATION_MAX_ROWS_PER_SECOND: "5000000000" }, /^MIGRATION_MAX_ROWS_PER_SECOND must be an integer from 0 to 4294967295/],
    ["MIGRATION_WORKERS invalid", dev, { MIGRATION_WORKERS: "many" }, /^MIGRATION_WORKERS must be a positive integer/],
    ["body limit invalid", [...dev, "--body-limit", "1k"], {}, /--body-limit must be a positive integer/],
    ["MIGRATIONS_DEV invalid", [], { MIGRATIONS_DEV: "maybe" }, /MIGRATIONS_DEV must be 1 or 0/],
    ["log level unknown", [...dev, "--log-level", "loud"], {}, /^--log-level must be one of trace, debug, info, warn, error, fatal, silent, got "loud"$/],
    ["LOG_LEVEL unknown names LOG_LEVEL", dev, { LOG_LEVEL: "verbose" }, /^LOG_LEVEL must be one of trace, debug, info, warn, error, fatal, silent, got "verbose"$/],
    ["--log-level without a value", [...dev, "--log-level"], {}, /--log-level.*Valid flags/],
    ["unknown scheme, password never shown", [...dev, "--database", "mysql://root:hunter2@db/app"], {}, /^Unsupported database URL scheme "mysql:"/],
    ["DATABASE_URL unknown scheme", dev, { DATABASE_URL: "mongodb+srv://u:hunter2@x" }, /Unsupported database URL scheme "mongodb\+srv:"/],
    ["database without scheme", [...dev, "--database", "./x.db"], {}, /^The database URL has no scheme/],
    ["sqlite without a path", [...dev, "--database", "sqlite:"], {}, /has no path/],
    ["an in-memory SQLite database", ["--dev", "--database", "sqlite::memory:"], {}, /An in-memory SQLite database cannot be used/],
    ["unreadable password file", ["--password-file", join(dir, "missing")], {}, new RegExp(`Cannot read the password file ${join(dir, "missing")} \\(ENOENT\\)`)],
    ["empty password file", ["--password-file", file("empty", "")], {}, /The password file .*empty is empty/],
    ["password file holding only a newline", ["--password-file", file("newline", "\n")], {}, /The password file .*newline is empty/],
  ];
  it.each(rows)("%s", async (_name, argv, env, message) => {
    const error = await resolveServeConfig(argv, env).then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(StartupError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain("hunter2");
  });
});
