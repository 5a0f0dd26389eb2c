// Enforces the dependency direction of docs/architecture.md: who may import whom, and only through index files.
import { describe, expect, it } from 'bun:test';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = resolve(import.meta.dir, '..');
const FOLDERS = [
  'contract',
  'disk',
  'mesh',
  'control',
  'node',
  'ui',
  'openapi',
  'cli',
  'scripts',
  'tests',
] as const;
type Folder = (typeof FOLDERS)[number];

/** For each folder, the folders it must never import, with the reason. */
const FORBIDDEN: Record<Folder, Partial<Record<Folder, string>>> = {
  contract: {
    mesh: 'contract/ is the shared vocabulary and imports nothing of ours',
    control: 'contract/ imports nothing of ours',
    node: 'contract/ imports nothing of ours',
    ui: 'contract/ imports nothing of ours',
    openapi: 'contract/ is the source the spec is generated from',
    cli: 'contract/ imports nothing of ours',
    disk: 'contract/ imports nothing of ours',
  },
  // disk/ holds the data-dir file modes both processes enforce at start: node and control may not import each
  // other, contract/ is schemas only and mesh/ is the gossip library, so the shared code has its own leaf.
  disk: {
    contract: 'disk/ is a leaf library node and control share; it imports nothing of ours',
    mesh: 'disk/ imports nothing of ours',
    control: 'disk/ knows no process: the caller names its own files',
    node: 'disk/ knows no process: the caller names its own files',
    ui: 'disk/ has no UI',
    openapi: 'disk/ has no HTTP',
    cli: 'disk/ is a library',
  },
  mesh: {
    control: 'mesh/ is a library both node and control build on; it knows neither',
    node: 'mesh/ is a library both node and control build on; it knows neither',
    ui: 'mesh/ has no HTTP or UI',
    openapi: 'mesh/ has no HTTP; it speaks its own protocol',
    cli: 'mesh/ is a library',
  },
  control: {
    node: 'control and node talk over HTTP only, never by import',
    ui: 'the control plane serves the built UI as files, it does not import it',
    cli: 'the CLI drives the control plane, not the other way round',
  },
  node: {
    control: 'control and node talk over HTTP only (through openapi/client), never by import',
    ui: 'nodes do not serve the UI',
    cli: 'the CLI drives the node, not the other way round',
  },
  ui: {
    control: 'the UI talks to the API only through the generated client',
    node: 'the UI talks to nodes over HTTP/WebSocket only',
    mesh: 'the UI sees the mesh only through the API',
    cli: 'the UI is not a command',
    disk: 'the UI runs in a browser, it has no data dir',
  },
  openapi: {
    control: 'the generated client must be usable without the server code',
    node: 'the generated client must be usable without the server code',
    mesh: 'the generated client is standalone',
    ui: 'the generated client is standalone',
    cli: 'the generated client is standalone',
    disk: 'the generated client is standalone',
  },
  cli: {
    ui: 'the CLI does not bundle the UI',
  },
  scripts: {},
  tests: {},
};

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of names) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sourceFiles(p));
    else if (/\.(ts|tsx)$/.test(name) && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

const IMPORT_RE =
  /(?:^|\n)\s*(?:import|export)\s[^'"`]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs: string[] = [];
  for (const m of text.matchAll(IMPORT_RE)) {
    const s = m[1] ?? m[2];
    if (s) specs.push(s);
  }
  return specs;
}

function topFolder(absPath: string): Folder | undefined {
  const first = relative(ROOT, absPath).split('/')[0];
  return (FOLDERS as readonly string[]).includes(first ?? '') ? (first as Folder) : undefined;
}

interface Violation {
  file: string;
  spec: string;
  why: string;
}

function violations(): Violation[] {
  const found: Violation[] = [];
  for (const folder of FOLDERS) {
    for (const file of sourceFiles(join(ROOT, folder))) {
      // A folder's testing/ is test code too: it may build on another layer's testing/index.ts.
      const isTest =
        file.endsWith('.test.ts') || file.includes('/testing/') || folder === 'tests' || folder === 'scripts';
      for (const spec of importsOf(file)) {
        if (!spec.startsWith('.')) continue;
        const target = resolve(dirname(file), spec);
        const to = topFolder(target);
        if (!to || to === folder) continue;
        const why = FORBIDDEN[folder][to];
        if (why) {
          found.push({ file: relative(ROOT, file), spec, why });
          continue;
        }
        const inside = relative(join(ROOT, to), target);
        const allowed = ['index.ts', 'client/index.ts'];
        if (isTest) allowed.push('testing/index.ts');
        if (!allowed.includes(inside)) {
          found.push({
            file: relative(ROOT, file),
            spec,
            why: `import ${to}/ through its index.ts${isTest ? ' or testing/index.ts' : ''}, not ${inside}`,
          });
        }
      }
    }
  }
  return found;
}

describe('Architecture', () => {
  it('keeps every import inside the dependency direction of docs/architecture.md', () => {
    expect(violations()).toEqual([]);
  });

  it('detects a forbidden import (the check itself can fail)', () => {
    const specs = importsOf(join(import.meta.dir, 'fixtures', 'bad-import.ts.txt'));
    expect(specs).toContain('../../control/index.ts');
    const target = resolve(ROOT, 'node', 'x', '../../control/index.ts');
    expect(topFolder(target)).toBe('control');
    expect(FORBIDDEN.node.control).toBeString();
  });
});

/**
 * Where the node may start processes. A workspace's processes (app, terminal shells, agents) start only through
 * its isolation's launcher, so none can skip the sandbox; host programs that build the sandbox (ip, iptables,
 * chown) run as the node, never as a workspace.
 */
const SPAWN_ALLOWED: Record<string, string> = {
  'node/workspaces/process-isolation.ts': 'the one launcher: every isolation starts workspace processes here',
  'node/workspaces/sandbox/host-command.ts':
    'host programs that build and tear down sandboxes (ip, iptables)',
  'node/workspaces/sandbox/sandbox-isolation.ts': 'chown of a home to the workspace uid before it is bound',
};

/** Files under node/ (not tests or test helpers) that start a process outside the allowed places. */
function unlaunchedSpawns(): string[] {
  const found: string[] = [];
  for (const file of sourceFiles(join(ROOT, 'node'))) {
    const rel = relative(ROOT, file);
    if (rel.endsWith('.test.ts') || rel.includes('/testing/') || rel in SPAWN_ALLOWED) continue;
    const text = readFileSync(file, 'utf8');
    if (/\bBun\.spawn(Sync)?\s*\(|node:child_process|from 'child_process'/.test(text)) found.push(rel);
  }
  return found;
}

describe('The workspace launcher', () => {
  it('is the only way the node starts a workspace process', () => {
    expect(unlaunchedSpawns()).toEqual([]);
    for (const file of Object.keys(SPAWN_ALLOWED)) expect(statSync(join(ROOT, file)).isFile()).toBe(true);
  });
});

/**
 * control/'s inner layers, lowest first: a subfolder may import only subfolders of a lower layer, never one of its
 * own layer or above (files at control/'s top, such as deps.ts and server.ts, wire everything and are not
 * layered). Every subfolder must be listed, so a new one is placed on purpose.
 */
const CONTROL_LAYERS: string[][] = [
  ['db', 'tailscale', 'activity', 'lease', 'github', 'testing'],
  ['identity'],
  ['auth', 'mesh'],
  ['workspaces'],
  // Where machines come from (providers) and how many wait ready (warm-pool) are siblings: the fleet above
  // joins them, so neither knows the other and a pool can be kept with any provider.
  ['nodes', 'tasks', 'providers', 'warm-pool'],
  // Node machines as a whole: join tokens, provisioning records, the pool's provisioning, recovery.
  ['fleet'],
  ['routes'],
  ['hardening'],
];

const CONTROL_LAYER_OF = new Map(CONTROL_LAYERS.flatMap((names, i) => names.map((n) => [n, i] as const)));

/** True when control/`from`/ may not import control/`to`/: `to` is not in a lower layer. */
function upward(from: string, to: string): boolean {
  const mine = CONTROL_LAYER_OF.get(from);
  const theirs = CONTROL_LAYER_OF.get(to);
  return mine === undefined || theirs === undefined || theirs >= mine;
}

const CONTROL_DIR = join(ROOT, 'control');

/** Every import of another control/ subfolder by the code (not tests or test helpers) of one: [file, spec, to]. */
function controlImports(): { from: string; file: string; spec: string; to: string }[] {
  const found: { from: string; file: string; spec: string; to: string }[] = [];
  for (const file of sourceFiles(CONTROL_DIR)) {
    const parts = relative(CONTROL_DIR, file).split('/');
    const from = parts[0] ?? '';
    // Tests and test helpers wire real parts together; only the code itself is layered.
    if (parts.length < 2 || file.endsWith('.test.ts') || parts.includes('testing')) continue;
    for (const spec of importsOf(file)) {
      if (!spec.startsWith('.')) continue;
      const to = relative(CONTROL_DIR, resolve(dirname(file), spec)).split('/');
      if (to.length < 2 || to[0]?.startsWith('..') || to[0] === from) continue;
      found.push({ from, file: relative(ROOT, file), spec, to: to[0] ?? '' });
    }
  }
  return found;
}

function controlLayerViolations(): string[] {
  const found: string[] = [];
  for (const dir of readdirSync(CONTROL_DIR)) {
    if (statSync(join(CONTROL_DIR, dir)).isDirectory() && !CONTROL_LAYER_OF.has(dir))
      found.push(`control/${dir}/ is in no layer of CONTROL_LAYERS`);
  }
  for (const { from, file, spec, to } of controlImports()) {
    if (CONTROL_LAYER_OF.has(from) && upward(from, to))
      found.push(`${file} imports control/${to}/ from ${spec}: only lower layers may be imported`);
  }
  return found;
}

describe("control's layers", () => {
  it('imports only downward: providers and the warm pool below the fleet, the fleet below the routes', () => {
    expect(controlLayerViolations()).toEqual([]);
  });

  it('keeps providers and the warm pool apart: neither imports the other or the fleet above them', () => {
    const across = controlImports().filter(
      (i) =>
        (i.from === 'providers' && (i.to === 'warm-pool' || i.to === 'fleet')) ||
        (i.from === 'warm-pool' && (i.to === 'providers' || i.to === 'fleet')),
    );
    expect(across).toEqual([]);
  });

  it('would catch an upward or sideways import (the check itself can fail)', () => {
    // The cycle this table ended: providers/ importing the warm pool, which imported providers/.
    expect(upward('providers', 'warm-pool')).toBe(true);
    expect(upward('warm-pool', 'providers')).toBe(true);
    expect(upward('providers', 'fleet')).toBe(true);
    expect(upward('warm-pool', 'fleet')).toBe(true);
    expect(upward('fleet', 'providers')).toBe(false);
    expect(upward('fleet', 'warm-pool')).toBe(false);
    expect(upward('nodes', 'tasks')).toBe(true);
    expect(upward('fleet', 'not-a-layer')).toBe(true);
  });
});
