// The node's agents with the runtime: an agent that keeps failing leaves its workspace degraded with its stderr,
// its output lands in the workspace's logs, and a changed spec restarts it with the new command.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { resolve } from 'node:path';
import { eventually, type ProxyFixture, startProxyFixture } from './testing/index.ts';

/** The fixture ACP agent (echoes prompts), run with this bun. */
const AGENT = `${process.execPath} ${resolve(import.meta.dir, 'agent', 'testing', 'fixture-agent.ts')}`;

let f: ProxyFixture;
beforeAll(async () => {
  f = await startProxyFixture();
});
afterAll(() => f.close());

describe('Node agents', () => {
  it('marks a running workspace degraded, quoting the agent’s stderr, once its agent failed for good', async () => {
    const w = await f.addWorkspace({
      appCommand: null,
      agentCommand: 'echo "agent: missing API key" >&2; exit 127',
    });
    const report = await eventually(() => {
      const r = f.node.runtime.report(w.id);
      return r?.status === 'degraded' ? r : undefined;
    }, 'the workspace to turn degraded');
    expect(report.reason).toStartWith('agent failed: the agent exited 5 times in a row (last code 127)');
    expect(report.reason).toContain('agent: missing API key');
    // It still runs: the terminal and the app are served.
    expect(f.node.runtime.get(w.id)?.status).toBe('running');
    const stderr = f.node.runtime.logs.tail(w.id, 100, 'agent').filter((l) => l.stream === 'stderr');
    expect(stderr.length).toBeGreaterThanOrEqual(5);
    expect(stderr.every((l) => l.text === 'agent: missing API key')).toBe(true);
  });

  it('restarts the agent with a new command when the workspace’s spec changes', async () => {
    const w = await f.addWorkspace({ appCommand: null, agentCommand: `echo "agent v1" >&2; exec ${AGENT}` });
    const said = (text: string) =>
      f.node.runtime.logs.tail(w.id, 200, 'agent').some((l) => l.stream === 'stderr' && l.text === text);
    await eventually(() => said('agent v1'), 'the first agent');
    await f.issuer.place(
      f.node.nodeId,
      { ...w, agentCommand: `echo "agent v2" >&2; exec ${AGENT}` },
      f.node.url,
    );
    await eventually(() => said('agent v2'), 'the agent started again with the new command');
    await eventually(() => f.node.runtime.report(w.id)?.status === 'running', 'running again');
  });
});
