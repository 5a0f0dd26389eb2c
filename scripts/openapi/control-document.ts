// Builds the control plane in-process on a throwaway database and reads the OpenAPI document it serves.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createControlApp,
  createLog,
  defaultControlConfig,
  OPENAPI_PATH,
  openControlDeps,
} from '../../control/index.ts';

export async function buildControlDocument(): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'warren-openapi-'));
  try {
    const config = defaultControlConfig(dir);
    const deps = await openControlDeps(config, {
      publicUrl: 'http://127.0.0.1:7400',
      log: createLog({ quiet: true }),
    });
    const app = createControlApp(deps);
    const res = await app.handle(new Request(`http://localhost${OPENAPI_PATH}`));
    if (!res.ok) throw new Error(`the control plane served its spec with status ${res.status}`);
    const doc = (await res.json()) as Record<string, unknown>;
    deps.database.close();
    // The document is about the API, not where this run happened to serve it.
    doc.servers = [{ url: 'http://127.0.0.1:7400', description: 'default local control plane' }];
    return doc;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
