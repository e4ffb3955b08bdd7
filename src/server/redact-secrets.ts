/** Credentials in a URL (`scheme://user:password@`): the password part is replaced. */
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@]*:)[^\s@/]*@/gi;

/**
 * A function that replaces every occurrence of the given secrets (and any password inside a
 * `scheme://user:password@` URL) by `***`, for error texts that reach a client or the log.
 */
export function createSecretRedactor(secrets: readonly string[]): (text: string) => string {
  const known = [...new Set(secrets.filter((secret) => secret.length > 0))].sort((a, b) => b.length - a.length);
  return (text) => {
    let result = text.replace(URL_CREDENTIALS, "$1***@");
    for (const secret of known) result = result.split(secret).join("***");
    return result;
  };
}
