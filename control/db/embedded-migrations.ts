// The migrations inside the single `warren` executable; empty in a checkout, where they are read from disk.

/**
 * `migrations/`-relative path → file text. `bun run build:cli` (scripts/build/cli.ts) fills this in at build
 * time: a compiled executable has no migrations folder next to it.
 */
export const EMBEDDED_MIGRATIONS: Record<string, string> = {};
