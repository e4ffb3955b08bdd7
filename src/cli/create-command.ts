import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { firstSet } from "../config/config-values.ts";
import { ExitCode, UsageError } from "./exit-codes.ts";
import { migrationTemplate } from "./migration-template.ts";
import type { Terminal } from "./terminal.ts";

/** The help text of `migrations create`. */
export const CREATE_USAGE = `Usage: migrations create <description> [--sql] [--migrations DIR]

Writes the next migration file, NNNN_<description>.ts, into the migrations directory and prints its path.
NNNN is the highest index there plus one, zero-padded like the existing files (at least 4 digits); the
description becomes lower case letters, digits and underscores. An existing file is never overwritten.

Flags:
  --migrations DIR   migrations directory, default ./migrations (created if missing)   [MIGRATIONS_DIR]
  --sql              write an .sql file of DDL instead of a .ts migration`;

const OPTIONS = { migrations: { type: "string" }, sql: { type: "boolean" }, help: { type: "boolean", short: "h" } } as const;
const MIN_INDEX_WIDTH = 4;

/** The description as a file name part: `Add customer e-mail` becomes `add_customer_e_mail`; empty when nothing is left. */
export function slugOf(description: string): string {
  return description
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "");
}

/** The next file name in a directory holding `files`: the highest `NNNN_` index plus one, padded like the widest one. */
export function nextMigrationFileName(files: readonly string[], slug: string, extension: string): string {
  let highest = 0;
  let width = MIN_INDEX_WIDTH;
  for (const file of files) {
    const digits = /^(\d+)_/.exec(file)?.[1];
    if (digits === undefined || file.startsWith(".")) continue;
    highest = Math.max(highest, Number(digits));
    width = Math.max(width, digits.length);
  }
  return `${String(highest + 1).padStart(width, "0")}_${slug}.${extension}`;
}

/** `migrations create <description>`: writes the next migration file from a template and prints its path. */
export function createCommand(argv: string[], env: NodeJS.ProcessEnv, terminal: Terminal, cwd = process.cwd()): ExitCode {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: true });
  } catch (error) {
    throw new UsageError(`${(error as Error).message.split("\n")[0]}\n${CREATE_USAGE}`, { cause: error });
  }
  const { values, positionals } = parsed;
  if (values.help) {
    terminal.out(CREATE_USAGE);
    return ExitCode.OK;
  }
  const slug = slugOf(positionals.join(" "));
  if (slug === "") throw new UsageError(`migrations create needs a description with a letter or digit, e.g. migrations create add customer email\n${CREATE_USAGE}`);
  const dir = firstSet(values.migrations, env.MIGRATIONS_DIR) ?? "./migrations";
  const root = resolve(cwd, dir);
  const kind = values.sql ? "sql" : "ts";
  let file: string;
  try {
    mkdirSync(root, { recursive: true });
    file = nextMigrationFileName(readdirSync(root), slug, kind);
  } catch (error) {
    terminal.err(`Cannot read the migrations directory "${root}": ${(error as Error).message}`);
    return ExitCode.FAILED;
  }
  try {
    // "wx": a file of that name written meanwhile (say by another create) is never overwritten.
    writeFileSync(join(root, file), migrationTemplate(file, kind), { flag: "wx" });
  } catch (error) {
    const exists = (error as NodeJS.ErrnoException).code === "EEXIST";
    terminal.err(exists ? `Migration file "${file}" already exists in "${root}": not overwritten` : `Cannot write "${join(root, file)}": ${(error as Error).message}`);
    return ExitCode.FAILED;
  }
  terminal.out(join(dir, file));
  return ExitCode.OK;
}
