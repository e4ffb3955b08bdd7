/** The write-protection text of a table (CONTRACT §3: the application sees who holds it and why). */
export function protectionMessage(table: string, migration: string, phase: string): string {
  return `Table "${table}" is write-protected by migration ${migration} (${phase})`;
}
