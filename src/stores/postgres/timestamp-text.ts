/**
 * What pg's default parser (postgres-date) returns for a `timestamptz` or `timestamp` text in the ISO
 * DateStyle PostgreSQL writes (`2024-01-01 12:00:00.123456+02`, `… +05:30`, no zone for `timestamp`),
 * computed without its regular expressions: parsing timestamps was the largest part of decoding a range.
 * Returns undefined for any other form (years below 100 or above 9999, BC, infinity), which the caller
 * hands to pg's parser. Same arithmetic as postgres-date, so the same Date for every text (tested).
 */
export function parseIsoTimestamp(text: string): Date | undefined {
  const length = text.length;
  if (length < 19 || text.charCodeAt(4) !== DASH || text.charCodeAt(7) !== DASH || text.charCodeAt(10) !== SPACE) return undefined;
  if (text.charCodeAt(13) !== COLON || text.charCodeAt(16) !== COLON) return undefined;
  const year = digits(text, 0, 4);
  const month = digits(text, 5, 7);
  const day = digits(text, 8, 10);
  const hour = digits(text, 11, 13);
  const minute = digits(text, 14, 16);
  const second = digits(text, 17, 19);
  // postgres-date corrects years 0-99, which Date would read as 19xx; those take its path.
  if (year < 100 || month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0) return undefined;
  let at = 19;
  let ms = 0;
  if (at < length && text.charCodeAt(at) === DOT) {
    let end = at + 1;
    while (end < length && isDigit(text.charCodeAt(end))) end++;
    if (end === at + 1) return undefined;
    ms = 1000 * parseFloat(text.slice(at, end));
    at = end;
  }
  if (at === length) return new Date(year, month - 1, day, hour, minute, second, ms);
  const sign = text.charCodeAt(at);
  if ((sign !== PLUS && sign !== DASH) || at + 3 > length) return undefined;
  const zoneParts = [digits(text, at + 1, at + 3), 0, 0];
  at += 3;
  for (let part = 1; part < 3 && at < length; part++) {
    if (text.charCodeAt(at) !== COLON || at + 3 > length) return undefined;
    zoneParts[part] = digits(text, at + 1, at + 3);
    at += 3;
  }
  if (at !== length || zoneParts[0]! < 0 || zoneParts[1]! < 0 || zoneParts[2]! < 0) return undefined;
  const offset = (zoneParts[0]! * 3600 + zoneParts[1]! * 60 + zoneParts[2]!) * (sign === DASH ? -1 : 1) * 1000;
  const time = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  return new Date(offset === 0 ? time : time - offset);
}

const DASH = 45;
const SPACE = 32;
const COLON = 58;
const DOT = 46;
const PLUS = 43;

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

/** The decimal number in `text[from, to)`, or -1 when a character is no digit. */
function digits(text: string, from: number, to: number): number {
  let value = 0;
  for (let i = from; i < to; i++) {
    const code = text.charCodeAt(i);
    if (!isDigit(code)) return -1;
    value = value * 10 + (code - 48);
  }
  return value;
}
