// Makes `import … from "migration-service"` in migration files load the running service's own modules, in
// the thread that calls it: ES modules through a resolve hook, CommonJS through the require resolver.
import Module, { register } from "node:module";
import { fileURLToPath } from "node:url";
import { serviceModuleUrl } from "./service-modules.mjs";

/** Registers the resolution of `migration-service` for this thread; call it after registering tsx. */
export function registerServiceImports() {
  register("./service-import-hooks.mjs", import.meta.url);
  // A .ts migration outside a "type": "module" package is compiled to CommonJS, and Node 20 does not pass
  // require() through the hooks above.
  const resolveFilename = Module._resolveFilename;
  Module._resolveFilename = function resolveServiceFilename(request, ...rest) {
    const url = serviceModuleUrl(request);
    return resolveFilename.call(this, url === null ? request : fileURLToPath(url), ...rest);
  };
}
