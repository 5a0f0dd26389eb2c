// The fleet's one way work on a node machine ends: its record's state, and on failure the message, the log line
// and the clean-up of what is left of the node.
import { describe, expect, it } from 'bun:test';
import type { Log } from '../log.ts';
import { TrackedWork } from './tracked-work.ts';

/** A log that keeps its lines, to read what the fleet said. */
function keptLog() {
  const lines: { level: string; msg: string; fields?: Record<string, unknown> }[] = [];
  const log: Log = {
    info: (msg, fields) => lines.push({ level: 'info', msg, fields }),
    warn: (msg, fields) => lines.push({ level: 'warn', msg, fields }),
    error: (msg, fields) => lines.push({ level: 'error', msg, fields }),
  };
  return { log, lines };
}

const provisioning = {
  state: 'provisioning',
  success: 'ready',
  what: 'node provisioning',
  cleanUp: true,
} as const;

describe('TrackedWork', () => {
  it('records the progress of work that succeeds and ends in its success state', async () => {
    const { log } = keptLog();
    const destroyed: string[] = [];
    const work = new TrackedWork({ provider: 'local', log, destroy: async (id) => void destroyed.push(id) });
    const entry = work.run('nd1', provisioning, async (progress) => {
      progress({ step: 'join_token', state: 'done', at: 1 });
    });
    expect(work.record('nd1')?.state).toBe('provisioning');
    await work.settled('nd1');
    expect(entry.record).toMatchObject({ nodeId: 'nd1', provider: 'local', state: 'ready' });
    expect(entry.record.events).toEqual([{ step: 'join_token', state: 'done', at: 1 }]);
    expect(destroyed).toEqual([]);
  });

  it('marks failed work with its message, warns, and removes what is left of the node', async () => {
    const { log, lines } = keptLog();
    const destroyed: string[] = [];
    const work = new TrackedWork({ provider: 'local', log, destroy: async (id) => void destroyed.push(id) });
    work.run('nd1', provisioning, async () => {
      throw new Error('the machine never booted');
    });
    await work.drained();
    expect(work.record('nd1')).toMatchObject({ state: 'failed', error: 'the machine never booted' });
    expect(destroyed).toEqual(['nd1']);
    expect(lines).toContainEqual({
      level: 'warn',
      msg: 'node provisioning failed',
      fields: { node: 'nd1', message: 'the machine never booted' },
    });
  });

  it('leaves the node alone without cleanUp, and logs a clean-up that fails', async () => {
    const { log, lines } = keptLog();
    const destroyed: string[] = [];
    const work = new TrackedWork({
      provider: 'local',
      log,
      destroy: async (id) => {
        destroyed.push(id);
        throw new Error('provider down');
      },
    });
    work.run(
      'nd1',
      { state: 'deleting', success: 'deleted', what: 'node deletion', cleanUp: false },
      async () => {
        throw new Error('no answer');
      },
    );
    work.run('nd2', provisioning, async () => {
      throw new Error('no machine');
    });
    await work.drained();
    expect(work.record('nd1')?.state).toBe('failed');
    expect(destroyed).toEqual(['nd2']);
    expect(lines).toContainEqual({
      level: 'error',
      msg: 'cleaning up after node provisioning failed',
      fields: { node: 'nd2', message: 'provider down' },
    });
  });
});
