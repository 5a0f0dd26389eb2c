// `bun run bench [name…]`: runs the named benchmarks (scripts/bench/<name>.ts), or all of them.
import { readdirSync } from 'node:fs';

/** A benchmark module's contract: a default export that runs and prints its table. */
export type Bench = (args: string[]) => Promise<void>;

const here = import.meta.dir;
const available = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && f !== 'main.ts' && !f.endsWith('.test.ts') && !f.startsWith('_'))
  .map((f) => f.slice(0, -3))
  .sort();

const [name, ...rest] = process.argv.slice(2);
const names = name ? [name] : available;
for (const n of names) {
  if (!available.includes(n)) {
    console.error(`unknown benchmark "${n}"; available: ${available.join(', ') || 'none'}`);
    process.exit(2);
  }
  const mod = (await import(`./${n}.ts`)) as { default: Bench };
  console.log(`\n## bench ${n}\n`);
  await mod.default(rest);
}
