// Which of the running service's own modules a migration file's `import … from "migration-service"` means.
// Plain JavaScript: the module resolve hooks load it before any TypeScript loader runs.
import { readFileSync } from "node:fs";

const PACKAGE_JSON = new URL("../../package.json", import.meta.url);
const { name, exports: subpaths } = JSON.parse(readFileSync(PACKAGE_JSON, "utf8"));

/** The package name migration files import the authoring API by (`migration-service`). */
export const SERVICE_PACKAGE = name;

/**
 * The file URL of the service's own module for `specifier` (the package name or one of its exported subpaths,
 * by the `source` condition of `exports`), or null for any other specifier. An unexported subpath throws.
 */
export function serviceModuleUrl(specifier) {
  if (specifier !== name && !specifier.startsWith(`${name}/`)) return null;
  const subpath = `.${specifier.slice(name.length)}`;
  const entry = Object.hasOwn(subpaths, subpath) ? subpaths[subpath] : undefined;
  const target = typeof entry === "string" ? entry : entry?.source;
  if (target === undefined) {
    const known = Object.keys(subpaths).map((key) => `"${name}${key.slice(1)}"`).join(", ");
    throw new Error(`Cannot import "${specifier}": the migration service exports ${known}`);
  }
  return new URL(target, PACKAGE_JSON).href;
}
