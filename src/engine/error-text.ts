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
