const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const RESERVED_PREFIX = /^(sqlite_|_migration_|pg_)/i;
const STEP_KINDS = ["addColumn", "dropColumn", "renameColumn", "createIndex", "dropIndex"] as const;

/** Checks a migration's `alter` member (CONTRACT §7 extension): table names, one known step per entry, plain identifiers, constant defaults. */
export function validateAlters(alter: unknown, fail: (what: string) => never): void {
  if (alter === undefined) return;
  if (alter === null || typeof alter !== "object" || Array.isArray(alter)) fail("`alter` must be an object mapping table names to lists of steps");
  for (const [table, steps] of Object.entries(alter as Record<string, unknown>)) {
    if (!NAME.test(table) || RESERVED_PREFIX.test(table)) fail(`\`alter\` has a key "${table}" that is not a plain table name`);
    if (!Array.isArray(steps) || steps.length === 0) fail(`\`alter.${table}\` must be a non-empty array of steps such as addColumn("nickname", "text")`);
    (steps as unknown[]).forEach((step, i) => checkStep(step, `\`alter.${table}[${i}]\``, fail));
  }
}

function checkStep(step: unknown, where: string, fail: (what: string) => never): void {
  const kinds = step !== null && typeof step === "object" ? STEP_KINDS.filter((k) => k in step) : [];
  if (kinds.length !== 1) fail(`${where} must be one of addColumn, dropColumn, renameColumn, createIndex, dropIndex`);
  const body = (step as Record<string, unknown>)[kinds[0]!];
  const name = (value: unknown, what: string) => {
    if (typeof value !== "string" || !NAME.test(value)) fail(`${where}: ${what} must be a plain identifier, got ${JSON.stringify(value)}`);
  };
  switch (kinds[0]) {
    case "dropColumn":
    case "dropIndex":
      return name(body, "the name");
    case "renameColumn": {
      const { from, to } = (body ?? {}) as Record<string, unknown>;
      name(from, "from");
      return name(to, "to");
    }
    case "createIndex": {
      const { name: index, columns, unique } = (body ?? {}) as Record<string, unknown>;
      name(index, "the index name");
      if (!Array.isArray(columns) || columns.length === 0) fail(`${where}: columns must be a non-empty array of column names`);
      for (const column of columns as unknown[]) name(column, "a column");
      if (unique !== undefined && typeof unique !== "boolean") fail(`${where}: unique must be true or false`);
      return;
    }
    case "addColumn": {
      const { name: column, type, default: value, notNull } = (body ?? {}) as Record<string, unknown>;
      name(column, "the column name");
      if (typeof type !== "string" || type.trim().length === 0 || /[;]/.test(type)) fail(`${where}: type must be an SQL type such as "text" or "integer"`);
      if (value !== undefined && value !== null && !["string", "number", "boolean"].includes(typeof value)) {
        fail(`${where}: default must be a constant (string, number, boolean or null), so the database adds the column without rewriting the table`);
      }
      if (typeof value === "number" && !Number.isFinite(value)) fail(`${where}: default must be a finite number`);
      if (notNull !== undefined && typeof notNull !== "boolean") fail(`${where}: notNull must be true or false`);
      if (notNull === true && (value === undefined || value === null)) fail(`${where}: a NOT NULL column needs a non-null default`);
      return;
    }
  }
}
