// control/search: full-text search input for SQLite FTS5, built from quoted terms only.
export { defaultFtsQueryConfig, type FtsQueryConfig, ftsQuery } from './fts-query.ts';
