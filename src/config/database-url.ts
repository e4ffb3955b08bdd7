/** `scheme://user:password@`: the userinfo of a network database URL, whatever the store. */
const USERINFO = /^([a-z][a-z0-9+.-]*:\/\/[^:/@]*:)([^@]*)@/i;

/** A URL safe to print: the password of a `scheme://user:password@host/…` URL replaced by `***`. */
export function redactDatabaseUrl(url: string): string {
  return url.replace(USERINFO, "$1***@");
}

/**
 * The password of a database URL as written (percent-encoded) and decoded, for scrubbing texts that
 * might echo it; empty for file URLs (SQLite) and for URLs without one.
 */
export function databaseSecrets(url: string): string[] {
  const raw = USERINFO.exec(url)?.[2];
  if (!raw) return [];
  let decoded = raw;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    // A malformed escape: the raw form is all there is to scrub.
  }
  return [...new Set([raw, decoded])];
}
