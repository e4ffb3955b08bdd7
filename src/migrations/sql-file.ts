import { MigrationFileError } from "./migration-file-error.ts";
import { tablesOfStatement } from "./sql-file-tables.ts";
import { type SqlStatement, splitSqlStatements } from "./sql-statements.ts";
import { StatementError } from "./statement-error.ts";
import type { Migration, MigrationDb } from "./types.ts";
import { validateMigration } from "./validate.ts";

const HEADER = /^--\s*(tables|writes)\s*:(.*)$/i;
const SHOWN_CHARACTERS = 80;

/** The `-- tables:` and `-- writes:` lines among the comment lines that open a `.sql` file. */
interface SqlHeader {
  tables: string[];
  writes?: string;
}

/**
 * The migration of a plain `.sql` file: its statements are the `dataDefinition`, run one at a time; `tables`
 * are the tables they name, plus those of a `-- tables: a, b` header (for statements that name none, such
 * as `DROP INDEX`); `-- writes: capture|protect` as in a `.ts` migration. Refuses, naming file, line and
 * statement, data changes, transaction control, schema-qualified names, and statements naming no table
 * without a header.
 */
export function sqlMigration(text: string, file: string): Migration {
  const fail = (what: string): never => {
    throw new MigrationFileError(`Migration file "${file}" is invalid: ${what}`);
  };
  const header = headerOf(text);
  const statements = splitSqlStatements(text);
  if (statements.length === 0) fail("it holds no SQL statement");
  const tables = new Set<string>();
  for (const statement of statements) {
    const found = tablesOfStatement(statement);
    const where = `line ${statement.line} (${shorten(statement.sql)})`;
    if (found.kind === "refused") fail(`${where}: ${found.reason}`);
    else if (found.kind === "tables") for (const table of found.tables) tables.add(table);
    else if (header.tables.length === 0) {
      fail(`${where}: the statement names no table the service can see; name the tables it changes in a header line "-- tables: a, b" among the comments that open the file`);
    }
  }
  for (const table of header.tables) tables.add(table);
  const migration = {
    tables: [...tables],
    ...(header.writes !== undefined && { writes: header.writes }),
    async dataDefinition(db: MigrationDb): Promise<void> {
      for (const statement of statements) await run(db, statement, file);
    },
  };
  return validateMigration(migration, file);
}

async function run(db: MigrationDb, statement: SqlStatement, file: string): Promise<void> {
  try {
    await db.exec(statement.sql);
  } catch (error) {
    throw error instanceof StatementError ? error.inFile(file, statement.line) : error;
  }
}

function headerOf(text: string): SqlHeader {
  const header: SqlHeader = { tables: [] };
  for (const line of text.split(/\r?\n/)) {
    const trimmed = line.trim();
    if (trimmed === "") continue;
    if (!trimmed.startsWith("--")) break;
    const match = HEADER.exec(trimmed);
    if (match === null) continue;
    const value = match[2]!.trim();
    if (match[1]!.toLowerCase() === "writes") header.writes = value;
    else header.tables.push(...value.split(",").map((t) => t.trim()).filter((t) => t.length > 0));
  }
  return header;
}

function shorten(sql: string): string {
  const oneLine = sql.replace(/\s+/g, " ");
  return oneLine.length > SHOWN_CHARACTERS ? `${oneLine.slice(0, SHOWN_CHARACTERS - 1)}…` : oneLine;
}
