import { StatementError } from "../migrations/statement-error.ts";

/** A `checkPrerequisites` refusal: its message is exactly the text the migration returned. */
export class PrerequisiteRefusal extends Error {
  override readonly name = "PrerequisiteRefusal";
}

/** The exception text of anything thrown: the message of an Error, else its string form. */
export function errorText(error: unknown): string {
  if (error instanceof Error) return error.message.length > 0 ? error.message : error.name;
  if (error !== null && typeof error === "object" && typeof (error as { message?: unknown }).message === "string") {
    return (error as { message: string }).message;
  }
  return String(error);
}

/**
 * Runs a migration function (`label` of migration `name`); a statement the database refused in it fails
 * as `dataDefinition of 0004_x failed: <the database's message>` followed by the statement and where.
 */
export async function runMigrationStep<T>(label: string, name: string, run: () => T | Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof StatementError) throw new Error(`${label} of ${name} failed: ${error.message}`, { cause: error });
    throw error;
  }
}
