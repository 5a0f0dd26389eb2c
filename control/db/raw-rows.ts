// Rows read with plain SQL, mapped to drizzle's row types by the tables' own column definitions. For hot paths
// that skip drizzle's query builder: building and mapping a three-statement batch through it was about 300 µs of
// a workspace create's 1.5 ms of CPU on the file (profiled with `bun --cpu-prof-md`).
import { getTableColumns, type Table } from 'drizzle-orm';

/** Maps a `SELECT *` row of `table` (keys are column names) to its drizzle row (keys are field names). */
export function rowMapper<T extends Table>(table: T): (raw: Record<string, unknown>) => T['$inferSelect'] {
  const columns = Object.entries(getTableColumns(table)).map(([field, column]) => ({ field, column }));
  return (raw) => {
    const row: Record<string, unknown> = {};
    for (const { field, column } of columns) {
      const value = raw[column.name];
      row[field] = value === null || value === undefined ? null : column.mapFromDriverValue(value);
    }
    return row as T['$inferSelect'];
  };
}
