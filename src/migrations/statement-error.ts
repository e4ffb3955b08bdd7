import { lineAndColumn } from "./sql-statements.ts";

const SHOWN_CHARACTERS = 240;

/** Where in a statement (1-based) the database pointed, and where the statement is in its `.sql` file, if it came from one. */
export interface StatementPlace {
  /** Line and column within the statement, when the database gave a position. */
  inStatement?: { line: number; column: number };
  /** The file and the line and column of that position (or of the statement's start) in it. */
  inFile?: { file: string; line: number; column?: number };
  /** The database's detail (PostgreSQL: `Key (email)=(a@b.c) is duplicated.`). */
  detail?: string;
}

/**
 * A statement a migration ran that the database refused: the database's message, the statement (on one
 * line, shortened) and where the database pointed, for the exception an operator reads.
 */
export class StatementError extends Error {
  override readonly name = "StatementError";

  constructor(
    /** The database's own message. */
    readonly reason: string,
    /** The statement as run. */
    readonly statement: string,
    /** Where it failed. */
    readonly place: StatementPlace = {},
    options?: ErrorOptions,
  ) {
    super(renderStatementError(reason, statement, place), options);
  }

  /** The same failure, placed in the `.sql` file whose statement starting at `line` it was. */
  inFile(file: string, line: number): StatementError {
    const at = this.place.inStatement;
    const inFile = at === undefined ? { file, line } : { file, line: line + at.line - 1, column: at.column };
    return new StatementError(this.reason, this.statement, { ...this.place, inFile }, { cause: this.cause });
  }
}

/** A StatementError for `sql`, the database pointing at the 1-based character `position` of it (PostgreSQL does), with its `detail`. */
export function statementError(reason: string, sql: string, position: number | undefined, cause: unknown, detail?: string): StatementError {
  const place: StatementPlace = {
    ...(position !== undefined && { inStatement: lineAndColumn(sql, position - 1) }),
    ...(detail !== undefined && detail !== "" && { detail }),
  };
  return new StatementError(reason, sql, place, { cause });
}

function renderStatementError(reason: string, statement: string, place: StatementPlace): string {
  const oneLine = statement.replace(/\s+/g, " ").trim();
  const shown = oneLine.length > SHOWN_CHARACTERS ? `${oneLine.slice(0, SHOWN_CHARACTERS - 1)}…` : oneLine;
  const lines = [reason, `  in: ${shown}`];
  const { inFile, inStatement } = place;
  if (inFile !== undefined) lines.push(`  at: ${inFile.file} line ${inFile.line}${inFile.column === undefined ? "" : `, column ${inFile.column}`}`);
  else if (inStatement !== undefined) lines.push(`  at: line ${inStatement.line}, column ${inStatement.column} of the statement`);
  if (place.detail !== undefined) lines.push(`  detail: ${place.detail}`);
  return lines.join("\n");
}
