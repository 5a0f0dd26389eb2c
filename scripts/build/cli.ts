// `bun run build:cli`: one self-contained `dist/warren` (Bun inside) for this machine's OS and CPU.
// libSQL picks its native module by a computed require, which a bundler cannot follow; the build names the
// module of the target outright, so the executable carries it and `warren control`/`up`/`node join` run too.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { familySync, GLIBC } from 'detect-libc';

const MIGRATIONS = join(import.meta.dir, '..', '..', 'control', 'db', 'migrations');

/** Every file under the migrations folder (SQL and drizzle's journal), by its path inside it. */
function migrationFiles(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of readdirSync(MIGRATIONS, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    out[relative(MIGRATIONS, path)] = readFileSync(path, 'utf8');
  }
  return out;
}

const arch = process.arch;
const libc = process.platform === 'linux' ? (familySync() === GLIBC ? '-gnu' : '-musl') : '';
const nativeModule = `@libsql/${process.platform}-${arch}${libc}/index.node`;
const outfile = process.argv[2] ?? 'dist/warren';

const result = await Bun.build({
  entrypoints: ['cli/main.ts'],
  compile: { outfile },
  minify: true,
  plugins: [
    {
      // The control plane's migrations go inside the executable (control/db/embedded-migrations.ts).
      name: 'embedded-migrations',
      setup(build) {
        build.onLoad({ filter: /[\\/]control[\\/]db[\\/]embedded-migrations\.ts$/ }, () => ({
          contents: `export const EMBEDDED_MIGRATIONS = ${JSON.stringify(migrationFiles())};`,
          loader: 'ts',
        }));
      },
    },
    {
      name: 'libsql-native-module',
      setup(build) {
        build.onLoad({ filter: /[\\/]node_modules[\\/]libsql[\\/]index\.js$/ }, async ({ path }) => {
          const text = await Bun.file(path).text();
          const fixed = text.replace(
            'require(`@libsql/${target}`)',
            `require(${JSON.stringify(nativeModule)})`,
          );
          if (fixed === text)
            throw new Error(`${path}: the native module require moved; update scripts/build/cli.ts`);
          return { contents: fixed, loader: 'js' };
        });
      },
    },
  ],
});
if (!result.success) {
  for (const log of result.logs) console.error(log);
  process.exit(1);
}
console.log(`built ${outfile} (${nativeModule})`);
