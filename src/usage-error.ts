/** A bad option value found after parsing: reported in one line, exit 2. */
export class UsageError extends Error {}
