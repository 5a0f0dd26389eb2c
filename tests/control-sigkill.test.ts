// Killing the control plane (a real `warren control` process) with SIGKILL mid-write loses no acknowledged write.
import { afterAll, describe, expect, it } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createControlClient } from '../openapi/client/index.ts';
import { CONTROL_READY, startWarren } from './testing/index.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'warren-sigkill-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

/** Starts `warren control --port 0` and resolves with its URL once it prints the ready line (deadline 15 s). */
async function startProcess() {
  const { proc, ready } = await startWarren<{ url: string }, 'ignore'>(
    ['control', '--port', '0', '--data', dataDir],
    CONTROL_READY,
    'warren control',
    { stderr: 'ignore', timeoutMs: 15_000 },
  );
  return { proc, url: ready.url };
}

describe('Control plane durability', () => {
  it('keeps every acknowledged write across a loop of SIGKILLs', async () => {
    const acknowledged: string[] = [];
    let token = '';
    for (let round = 0; round < 5; round++) {
      const { proc, url } = await startProcess();
      if (!token) token = (await Bun.file(join(dataDir, 'admin-token')).text()).trim();
      const client = createControlClient(url, { token });
      // Everything acknowledged before this start must be there.
      const listed = await client.GET('/api/v1/projects');
      const present = new Set(listed.data!.items.map((p) => p.id));
      expect(acknowledged.filter((id) => !present.has(id))).toEqual([]);

      // Writers run until the process dies; kill it once this round's quota of acks is in, writes still in flight.
      const quota = acknowledged.length + 20 + round * 7;
      let dead = false;
      const writer = async (w: number) => {
        for (let i = 0; !dead; i++) {
          try {
            const r = await client.POST('/api/v1/projects', { body: { name: `r${round}-w${w}-${i}` } });
            if (r.response.status === 200 && r.data) acknowledged.push(r.data.id);
          } catch {
            return; // connection refused or reset: the process is gone
          }
        }
      };
      const writers = Array.from({ length: 4 }, (_, w) => writer(w));
      const deadline = Date.now() + 20_000;
      while (acknowledged.length < quota) {
        if (Date.now() > deadline)
          throw new Error(`only ${acknowledged.length} of ${quota} writes acknowledged`);
        await Bun.sleep(1); // poll the condition; the writers run meanwhile
      }
      proc.kill('SIGKILL');
      await proc.exited;
      dead = true;
      await Promise.all(writers);
    }
    const { proc, url } = await startProcess();
    const listed = await createControlClient(url, { token }).GET('/api/v1/projects');
    const present = new Set(listed.data!.items.map((p) => p.id));
    expect(acknowledged.length).toBeGreaterThan(100);
    expect(acknowledged.filter((id) => !present.has(id))).toEqual([]);
    proc.kill('SIGKILL');
    await proc.exited;
  }, 60_000);
});
