// The search rule node and control share: SQLite FTS5 MATCH expressions built from quoted terms only,
// so `"`, OR, NEAR, `*`, `-`, `:`, `^` and parentheses in user input are taken literally.

export interface FtsQueryConfig {
  /** 16 terms: a search is a few words; more is an attempt to make the engine work hard. */
  maxTerms: number;
  /** 64 characters per term. */
  maxTermLength: number;
}

export function defaultFtsQueryConfig(): FtsQueryConfig {
  return { maxTerms: 16, maxTermLength: 64 };
}

/** A term that holds no letter or digit yields no token, and an empty phrase would match everything. */
const HAS_TOKEN = /[\p{L}\p{N}]/u;

/**
 * The MATCH expression for `input`: each whitespace-separated term becomes one double-quoted phrase (inner
 * quotes doubled), joined by spaces, which FTS5 reads as AND. `undefined` when nothing searchable is left;
 * callers answer that with no results, never with everything.
 */
export function ftsQuery(
  input: string,
  config: FtsQueryConfig = defaultFtsQueryConfig(),
): string | undefined {
  const terms = input
    .split(/\s+/u)
    .filter((t) => HAS_TOKEN.test(t))
    .slice(0, config.maxTerms)
    .map((t) => `"${t.slice(0, config.maxTermLength).replaceAll('"', '""')}"`);
  return terms.length > 0 ? terms.join(' ') : undefined;
}
