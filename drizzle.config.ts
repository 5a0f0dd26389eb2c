// drizzle-kit configuration: `bun run db:generate` writes SQL migrations for control/db/schema.ts.
import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'sqlite',
  schema: './control/db/schema.ts',
  out: './control/db/migrations',
});
