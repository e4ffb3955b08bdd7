// Node module resolve hook (registered by register-service-imports.mjs): `migration-service` in a migration
// file resolves to the running service's own modules, whether or not the application installed the package.
import { serviceModuleUrl } from "./service-modules.mjs";

/** Resolves `migration-service` and its exported subpaths to the service's source modules; anything else as before. */
export async function resolve(specifier, context, nextResolve) {
  return nextResolve(serviceModuleUrl(specifier) ?? specifier, context);
}
