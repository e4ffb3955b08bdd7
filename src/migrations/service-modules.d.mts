/** The package name migration files import the authoring API by (`migration-service`). */
export declare const SERVICE_PACKAGE: string;
/** The file URL of the service's own module for `specifier`, or null for any other specifier; an unexported subpath throws. */
export declare function serviceModuleUrl(specifier: string): string | null;
