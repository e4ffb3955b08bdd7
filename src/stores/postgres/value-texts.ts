/**
 * The text each Date or `json` value read from the database was parsed from, kept on the value itself
 * under a symbol (cheaper than a WeakMap at a million values). A value the transform passed through
 * unchanged is written back as that text: PostgreSQL timestamps hold microseconds where a JavaScript Date
 * holds milliseconds, and `json` keeps its spacing and key order where JSON.stringify would not.
 * Unchanged means the same time, or the same JSON.stringify, as when it was read.
 */
const SOURCE_TEXT = Symbol("source text");
const SOURCE_FINGERPRINT = Symbol("source fingerprint");

interface Remembered {
  [SOURCE_TEXT]?: string;
  [SOURCE_FINGERPRINT]?: number | string;
}

/** pg's type id of `json` (jsonb normalises its text, so it needs nothing). */
export const JSON_TYPE_ID = 114;

/** Remembers the text a Date was parsed from. */
export function rememberDateText(date: Date, text: string): void {
  const remembered = date as Date & Remembered;
  remembered[SOURCE_TEXT] = text;
  remembered[SOURCE_FINGERPRINT] = date.getTime();
}

/** Remembers the text a `json` object or array was parsed from. */
export function rememberJsonText(value: object, text: string): void {
  const remembered = value as Remembered;
  remembered[SOURCE_TEXT] = text;
  remembered[SOURCE_FINGERPRINT] = JSON.stringify(value);
}

/** The text `date` was parsed from, if it was read from the database and not changed since. */
export function originalDateText(date: Date): string | undefined {
  const remembered = date as Date & Remembered;
  return remembered[SOURCE_FINGERPRINT] === date.getTime() ? remembered[SOURCE_TEXT] : undefined;
}

/** The text a `json` object was parsed from, if unchanged since (`json` is its JSON.stringify now). */
export function originalJsonText(value: object, json: string): string | undefined {
  const remembered = value as Remembered;
  return remembered[SOURCE_FINGERPRINT] === json ? remembered[SOURCE_TEXT] : undefined;
}
