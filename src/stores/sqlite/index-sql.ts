import { quoteIdent } from "./sql.ts";

// SQLite stores an index as "CREATE [UNIQUE] INDEX " followed by the statement's own text from the index name on
// (IF NOT EXISTS and a schema name are not kept), so the name is the first token and "ON table" follows it.
const NAME = String.raw`(?:"(?:[^"]|"")*"|\[[^\]]*\]|` + "`(?:[^`]|``)*`" + String.raw`|[^\s(."'\[` + "`" + String.raw`]+)`;
const CREATE_INDEX = new RegExp(String.raw`^(CREATE (?:UNIQUE )?INDEX )(${NAME})(\s+ON\s+)(${NAME})(\s*\()`, "i");

/**
 * The stored CREATE INDEX statement `sql` with its index name replaced by `name` and, when given, its table by
 * `table`; null when the statement does not read as SQLite stores it (say, a comment between the names).
 */
export function renameCreateIndex(sql: string, name: string, table?: string): string | null {
  const match = CREATE_INDEX.exec(sql);
  if (match === null) return null;
  const [whole, head, , on, oldTable, open] = match;
  return `${head}${quoteIdent(name)}${on}${table === undefined ? oldTable : quoteIdent(table)}${open}${sql.slice(whole.length)}`;
}
