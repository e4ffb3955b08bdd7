/** Writes one progress line of the bench to stderr (stdout holds only the result tables). */
export function progress(store: string, text: string): void {
  process.stderr.write(`[bench ${store}] ${text}\n`);
}

/** `1,234,567` with a thousands separator, rounded. */
export function grouped(value: number): string {
  return Math.round(value).toLocaleString("en-US");
}
