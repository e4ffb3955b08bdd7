import { fileURLToPath } from "node:url";
import { join } from "node:path";

/** Absolute path of the package root (where package.json lives), independent of the working directory. */
export const PACKAGE_ROOT: string = fileURLToPath(new URL("../../", import.meta.url)).replace(/[\\/]$/, "");

/** The demo migrations shipped with the package, used by `npm start` without a migrations directory. */
export const DEMO_MIGRATIONS_DIR: string = join(PACKAGE_ROOT, "migrations");
