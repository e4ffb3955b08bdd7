import type { SqlStatement, SqlToken } from "./sql-statements.ts";

/** What one statement of a `.sql` migration does to tables, as far as its text tells. */
export type StatementTables =
  /** A schema change of these tables (existing or new). */
  | { kind: "tables"; tables: string[] }
  /** A schema change of a table the text does not name (DROP INDEX, CREATE VIEW, …): allowed only with a `-- tables:` header. */
  | { kind: "unknown" }
  /** Never allowed in a `.sql` migration, for the reason given. */
  | { kind: "refused"; reason: string };

const DATA_CHANGES = new Set(["INSERT", "UPDATE", "DELETE", "MERGE", "TRUNCATE", "COPY", "REPLACE", "UPSERT", "WITH", "SELECT", "VALUES"]);
const TRANSACTION_CONTROL = new Set(["BEGIN", "COMMIT", "END", "ROLLBACK", "SAVEPOINT", "RELEASE", "START", "ABORT"]);

/** A table name as a statement writes it: plain, or schema-qualified (refused: a plain name is what means the shadow copy). */
interface NameAt {
  name: string;
  /** Index of the token after the name. */
  next: number;
  qualified?: string;
}

/**
 * The tables a DDL statement changes or creates: `ALTER TABLE [IF EXISTS] [ONLY] t` (and a `RENAME TO` target),
 * `CREATE [UNIQUE] INDEX … ON [ONLY] t`, `CREATE [UNLOGGED] TABLE [IF NOT EXISTS] t`, `DROP TABLE [IF EXISTS] t, …`,
 * `COMMENT ON TABLE t` / `COMMENT ON COLUMN t.c`, `CREATE TRIGGER … ON t`. Keywords are case-insensitive;
 * unquoted names fold to lower case, "quoted" ones keep theirs.
 */
export function tablesOfStatement(statement: SqlStatement): StatementTables {
  const found = attributed(statement.tokens);
  if (found.kind !== "unknown") return found;
  // A statement that names no table runs only by the header's leave: it must not reach the originals by their schema either.
  const original = originalReference(statement.tokens);
  if (original === undefined) return found;
  return { kind: "refused", reason: `"${original}" names an object of the original tables by its schema; inside a migration write the plain name, which means the shadow copy` };
}

/** The schemas that hold the original tables where a migration runs: PostgreSQL's usual one, and the origin file SQLite attaches. */
const ORIGINAL_SCHEMAS = new Set(["public", "origin"]);

/** `public.x` or `origin.x` in a statement, other than the table a foreign key references (reading an original is fine). */
function originalReference(tokens: readonly SqlToken[]): string | undefined {
  for (let i = 0; i + 2 < tokens.length; i++) {
    const schema = tokens[i]!;
    if (schema.kind !== "word" && schema.kind !== "quoted") continue;
    if (!ORIGINAL_SCHEMAS.has(schema.text.toLowerCase()) || tokens[i + 1]!.text !== ".") continue;
    if (tokens[i - 1]?.kind === "word" && tokens[i - 1]!.text.toUpperCase() === "REFERENCES") continue;
    return `${schema.text}.${tokens[i + 2]!.text}`;
  }
  return undefined;
}

function attributed(tokens: readonly SqlToken[]): StatementTables {
  const word = (i: number): string | undefined => (tokens[i]?.kind === "word" ? tokens[i]!.text.toUpperCase() : undefined);
  const first = word(0) ?? "";
  if (DATA_CHANGES.has(first)) {
    return { kind: "refused", reason: "it reads or changes rows; data changes belong in a .ts migration's transform or dataManipulation, a .sql migration holds schema changes only" };
  }
  if (TRANSACTION_CONTROL.has(first)) return { kind: "refused", reason: "the service runs each statement itself; a migration does not control transactions" };
  let at = 1;
  const skip = (...words: string[]): boolean => {
    if (!words.every((w, k) => word(at + k) === w)) return false;
    at += words.length;
    return true;
  };
  const named = (names: NameAt[]): StatementTables => {
    const qualified = names.find((n) => n.qualified !== undefined);
    if (qualified) {
      return {
        kind: "refused",
        reason: `"${qualified.qualified}" names a table with its schema; write the plain name ${qualified.name} (inside a migration a plain name means the shadow copy, a qualified one the original table, which a migration never changes)`,
      };
    }
    return { kind: "tables", tables: names.map((n) => n.name) };
  };
  if (first === "ALTER" && skip("TABLE")) {
    skip("IF", "EXISTS");
    skip("ONLY");
    const table = nameAt(tokens, at);
    if (table === undefined) return { kind: "unknown" };
    const rename = tokens.findIndex((_, i) => word(i) === "RENAME" && word(i + 1) === "TO");
    const target = rename < 0 ? undefined : nameAt(tokens, rename + 2);
    return named(target === undefined ? [table] : [table, target]);
  }
  if (first === "CREATE") {
    skip("UNIQUE");
    if (skip("INDEX")) {
      const on = tokens.findIndex((_, i) => i >= at && word(i) === "ON");
      if (on < 0) return { kind: "unknown" };
      at = on + 1;
      skip("ONLY");
      return nameOrUnknown(tokens, at, named);
    }
    skip("UNLOGGED");
    if (skip("TABLE")) {
      skip("IF", "NOT", "EXISTS");
      return nameOrUnknown(tokens, at, named);
    }
    if (skip("TRIGGER")) {
      const on = tokens.findIndex((_, i) => i >= at && word(i) === "ON");
      return on < 0 ? { kind: "unknown" } : nameOrUnknown(tokens, on + 1, named);
    }
    return { kind: "unknown" };
  }
  if (first === "DROP" && skip("TABLE")) {
    skip("IF", "EXISTS");
    const names: NameAt[] = [];
    for (let name = nameAt(tokens, at); name !== undefined; name = tokens[name.next]?.text === "," ? nameAt(tokens, name.next + 1) : undefined) {
      names.push(name);
    }
    return names.length === 0 ? { kind: "unknown" } : named(names);
  }
  if (first === "COMMENT" && skip("ON")) {
    if (skip("TABLE")) return nameOrUnknown(tokens, at, named);
    // COMMENT ON COLUMN t.c: the part before the column is the table (a third part would be a schema).
    if (skip("COLUMN")) {
      const parts = dottedName(tokens, at);
      if (parts.length === 2) return named([{ name: parts[0]!, next: at }]);
      if (parts.length === 3) return named([{ name: parts[1]!, next: at, qualified: parts.slice(0, 2).join(".") }]);
    }
  }
  return { kind: "unknown" };
}

function nameOrUnknown(tokens: readonly SqlToken[], at: number, named: (names: NameAt[]) => StatementTables): StatementTables {
  const name = nameAt(tokens, at);
  return name === undefined ? { kind: "unknown" } : named([name]);
}

/** The table name at `tokens[at]`: `t`, `"t"` or `schema.t`. */
function nameAt(tokens: readonly SqlToken[], at: number): NameAt | undefined {
  const parts = dottedName(tokens, at);
  if (parts.length === 0 || parts.length > 2) return undefined;
  const next = at + parts.length * 2 - 1;
  if (parts.length === 1) return { name: parts[0]!, next };
  return { name: parts[1]!, next, qualified: parts.join(".") };
}

/** The parts of `a.b.c` starting at `tokens[at]`, each unquoted (plain words folded to lower case). */
function dottedName(tokens: readonly SqlToken[], at: number): string[] {
  const parts: string[] = [];
  for (let i = at; ; i += 2) {
    const token = tokens[i];
    if (token === undefined || (token.kind !== "word" && token.kind !== "quoted")) break;
    parts.push(token.kind === "word" ? token.text.toLowerCase() : token.text);
    if (tokens[i + 1]?.text !== ".") break;
  }
  return parts;
}
