/** The kinds of file `migrations create` writes. */
export type TemplateKind = "ts" | "sql";

/** The first text of a new migration file `file` (e.g. `0004_add_email.ts`): a skeleton that points at the README. */
export function migrationTemplate(file: string, kind: TemplateKind): string {
  if (kind === "sql") {
    return `-- ${file}: DDL run as dataDefinition (see "Writing a migration" in the migration service's README).
-- ALTER TABLE customer ADD COLUMN email TEXT;
`;
  }
  return `import { defineMigration } from "migration-service";

// ${file}: see "Writing a migration" in the migration service's README.
export default defineMigration({
  // Every table this migration changes or creates (each gets a shadow copy). The service refuses to start
  // while this list is empty, so a half-written migration never runs.
  tables: [],
  // alter: { customer: [addColumn("email", "text")] },    // in-place steps, no copy (import addColumn too)
  // async dataDefinition(db) {
  //   await db.exec(\`ALTER TABLE customer ADD COLUMN email TEXT\`);
  // },
  // transform: { customer: (row) => ({ ...row, email: String(row.login).toLowerCase() }) },
  // async dataManipulation(db) {},
});
`;
}
