// Placement: reconciling toward the heartbeat's list, persisting specs, and what a restart brings back.
import { afterEach, describe, expect, it } from 'bun:test';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WorkspaceAssignment } from '../../contract/index.ts';
import { localNodeConfig } from '../config.ts';
import { StateStore } from '../state-store.ts';
import { eventually, workspaceSpec } from '../testing/index.ts';
import { Placement } from './placement.ts';
import type { Runtime } from './runtime.ts';
import { createProcessRuntime } from './workspace-runtime.ts';

const dirs: string[] = [];
const runtimes: Runtime[] = [];
afterEach(async () => {
  await Promise.all(runtimes.splice(0).map((r) => r.shutdown()));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function setup(dir = mkdtempSync(join(tmpdir(), 'warren-pl-'))) {
  dirs.push(dir);
  const runtime = createProcessRuntime(dir, localNodeConfig().runtime);
  runtimes.push(runtime);
  const store = new StateStore(dir);
  return { dir, runtime, store, placement: new Placement(runtime, store) };
}

const spec = (o: Partial<WorkspaceAssignment> = {}) => workspaceSpec({ appCommand: 'exec sleep 600', ...o });

describe('Placement', () => {
  it('reconciles toward the list: starts, stops, deletes, and stops what is no longer listed', async () => {
    const { runtime, placement } = setup();
    const a = spec();
    const b = spec();
    const c = spec({ appCommand: null });
    await placement.reconcile([a, b, c]);
    expect(runtime.report(a.id)?.status).toBe('starting');
    expect(runtime.report(c.id)?.status).toBe('running');
    await placement.reconcile([
      { ...a, desiredState: 'stopped' },
      { ...b, desiredState: 'deleted' },
    ]);
    expect(runtime.report(a.id)?.status).toBe('stopped');
    expect(runtime.report(b.id)).toBeUndefined();
    // c was not listed: stopped, not deleted.
    expect(runtime.report(c.id)?.status).toBe('stopped');
    expect(placement.spec(c.id)).toBeDefined();
  });

  it('does not rewrite its state for a deleted workspace it no longer has', async () => {
    const { dir, placement } = setup();
    const kept = spec({ appCommand: null });
    const gone = spec({ desiredState: 'deleted' });
    await placement.reconcile([kept]);
    const before = statSync(join(dir, 'workspaces.json')).mtimeMs;
    await placement.reconcile([kept, gone]);
    await placement.reconcile([kept, gone]);
    expect(statSync(join(dir, 'workspaces.json')).mtimeMs).toBe(before);
  });

  it('restores running workspaces as running and stopped ones as stopped', async () => {
    const first = setup();
    const up = spec({ appCommand: null });
    const down = spec({ appCommand: null });
    await first.placement.apply(up);
    await first.placement.apply({ ...down, desiredState: 'stopped' });
    await first.runtime.shutdown();
    const again = setup(first.dir);
    again.placement.restore();
    await eventually(() => again.runtime.report(up.id)?.status === 'running', 'running again');
    expect(again.runtime.report(down.id)?.status).toBe('stopped');
  });
});
