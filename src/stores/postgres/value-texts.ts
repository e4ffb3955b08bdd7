/**
 * The text each Date or `json` value read from the database was parsed from. A value the transform
 * passed through unchanged is written back as that text: PostgreSQL timestamps hold microseconds where a
 * JavaScript Date holds milliseconds, and `json` keeps its spacing and key order where JSON.stringify
 * would not. Unchanged means the same time, or the same JSON.stringify, as when it was read.
 */
const sources = new WeakMap<object, { fingerprint: number | string; text: string }>();

/** pg's type id of `json` (jsonb normalises its text, so it needs nothing). */
export const JSON_TYPE_ID = 114;

/** Remembers the text a Date was parsed from. */
export function rememberDateText(date: Date, text: string): void {
  sources.set(date, { fingerprint: date.getTime(), text });
}

/** Remembers the text a `json` object or array was parsed from. */
export function rememberJsonText(value: object, text: string): void {
  sources.set(value, { fingerprint: JSON.stringify(value), text });
}

/** The text `date` was parsed from, if it was read from the database and not changed since. */
export function originalDateText(date: Date): string | undefined {
  const source = sources.get(date);
  return source !== undefined && source.fingerprint === date.getTime() ? source.text : undefined;
}

/** The text a `json` object was parsed from, if unchanged since (`json` is its JSON.stringify now). */
export function originalJsonText(value: object, json: string): string | undefined {
  const source = sources.get(value);
  return source !== undefined && source.fingerprint === json ? source.text : undefined;
}
