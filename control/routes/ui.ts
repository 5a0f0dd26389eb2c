// Serves the web UI at `/`: ui/index.html bundled by Bun's HTML bundler when the control plane starts, held in memory.
import { resolve } from 'node:path';
import { Elysia } from 'elysia';
import { errorResponse } from '../../contract/index.ts';
import type { ControlDeps } from '../deps.ts';

/** The UI's entry; the control plane bundles it as files and never imports it (tests/architecture.test.ts). */
export const UI_ENTRY = resolve(import.meta.dir, '../../ui/index.html');

/** Client-side routes of the UI; each answers with index.html and the UI picks the page. */
const PAGES = [
  '/',
  '/sign-in',
  '/workspaces',
  '/workspaces/*',
  '/projects',
  '/nodes',
  '/tasks',
  '/tasks/*',
  '/settings',
];

/**
 * The page may talk to this origin and, for terminals, straight to nodes (any http/ws origin); it is never
 * framed, and sends no referrer (workspace links carry short-lived tokens).
 */
const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-cache',
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
    "connect-src 'self' http: https: ws: wss:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

interface BuiltUi {
  html: Uint8Array<ArrayBuffer>;
  assets: Map<string, Asset>;
}

interface Asset {
  bytes: Uint8Array<ArrayBuffer>;
  /** Gzipped once at build time (xterm.js shrinks from 340 KB to 88 KB). */
  gzip: Uint8Array<ArrayBuffer>;
  type: string;
}

// One bundle per process: the output depends only on the files in ui/, and tests start many control planes.
const builds = new Map<string, Promise<BuiltUi>>();

async function buildUi(entry: string): Promise<BuiltUi> {
  const result = await Bun.build({
    entrypoints: [entry],
    minify: true,
    // xterm.js loads as its own chunk when a terminal opens.
    splitting: true,
    publicPath: '/assets/',
    naming: { entry: '[name]-[hash].[ext]', chunk: '[name]-[hash].[ext]', asset: '[name]-[hash].[ext]' },
  });
  if (!result.success) throw new Error(result.logs.map((l) => l.message).join('; '));
  let html: Uint8Array<ArrayBuffer> | undefined;
  const assets = new Map<string, Asset>();
  for (const out of result.outputs) {
    const bytes = new Uint8Array(await out.arrayBuffer());
    const name = out.path.replace(/^\.\//, '');
    if (name.endsWith('.html')) html = bytes;
    else assets.set(name, { bytes, gzip: new Uint8Array(Bun.gzipSync(bytes)), type: out.type });
  }
  if (!html) throw new Error('the UI build produced no HTML');
  return { html, assets };
}

function built(entry: string): Promise<BuiltUi> {
  let b = builds.get(entry);
  if (!b) {
    b = buildUi(entry);
    builds.set(entry, b);
    // A failed build is retried on the next request (e.g. after fixing a syntax error).
    b.catch(() => builds.delete(entry));
  }
  return b;
}

/** GET `/` and the UI's page paths → index.html; GET `/assets/:file` → the bundle's files. */
export function uiRoutes(deps: ControlDeps, entry = UI_ENTRY) {
  // Start bundling now so the first page view does not wait; a failure is reported when a page asks.
  built(entry).catch(() => {});
  const failed = (e: unknown) => {
    deps.log.error('the web UI failed to build', { message: (e as Error).message });
    return errorResponse('internal', 'the web UI failed to build; see the control plane log');
  };
  const page = async () => {
    try {
      return new Response((await built(entry)).html, { headers: PAGE_HEADERS });
    } catch (e) {
      return failed(e);
    }
  };
  let app = new Elysia({ name: 'ui' });
  for (const path of PAGES) app = app.get(path, page, { detail: { hide: true } });
  return app.get(
    '/assets/:file',
    async ({ params, request }) => {
      let ui: BuiltUi;
      try {
        ui = await built(entry);
      } catch (e) {
        return failed(e);
      }
      const asset = ui.assets.get(params.file);
      if (!asset) return errorResponse('not_found', 'no such file');
      const gzip = /\bgzip\b/.test(request.headers.get('accept-encoding') ?? '');
      return new Response(gzip ? asset.gzip : asset.bytes, {
        headers: {
          ...(gzip ? { 'content-encoding': 'gzip' } : {}),
          vary: 'accept-encoding',
          'content-type': asset.type,
          // Names carry a content hash, so a file never changes under its name.
          'cache-control': 'public, max-age=31536000, immutable',
          'x-content-type-options': 'nosniff',
        },
      });
    },
    { detail: { hide: true } },
  );
}
