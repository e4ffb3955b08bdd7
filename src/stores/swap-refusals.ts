/** The refusal of a swap whose table has neither a shadow copy nor a drop mark (the shadow copies were lost). */
export function noShadowCopy(table: string): string {
  return `Table "${table}" has no shadow copy to swap in (the shadow copies were lost); reset and migrate again`;
}

/** The refusal of a swap whose origin table was writable at some point after it was copied. */
export function unprotectedOrigin(table: string): string {
  return `Table "${table}" is no longer write-protected, so writes may have reached it that its shadow copy lacks; nothing was swapped: reset and migrate again`;
}
