// `bun run bench permissions`: a person in the loop, on a real control plane and node process with the fixture ACP
// agent: a permission request raised → listed by the task API; an answer (task API, forwarded to the node; or the
// chat socket) → the agent has it. p50 and p90 over 20 requests each; the node's event times are on this clock.
import { rmSync } from 'node:fs';
import { startTestControl } from '../../control/testing/index.ts';
import { type AgentSocketClient, eventually, FIXTURE_AGENT, tempDataDir } from '../../node/testing/index.ts';
import { agentNode } from '../../tests/testing/index.ts';
import type { Bench } from './main.ts';

const RUNS = 20;

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((s.length * p) / 100))]!;
};

/** The event after `from` that `match` picks, with its node-side time. */
const next = (c: AgentSocketClient, from: number, what: string, match: (data: unknown) => boolean) =>
  c.waitFor((x) => x.events().find((e) => e.seq > from && match(e.data)), what, 30_000);

const answeredChunk = (data: unknown) => {
  const d = data as { kind: string; update?: { content?: { text?: string } } };
  return d.kind === 'update' && (d.update?.content?.text ?? '').startsWith('permission ');
};

const lastSeq = (c: AgentSocketClient) => c.events().at(-1)?.seq ?? 0;

const bench: Bench = async () => {
  const dataDir = tempDataDir();
  const control = await startTestControl({ config: { heartbeatIntervalMs: 300, taskSweepMs: 50 } });
  const node = agentNode(control, dataDir);
  try {
    const jt = await control.client.POST('/api/v1/join-tokens', { body: {} });
    await node.start(['--join-token', jt.data!.token]);
    const projectId = (await control.client.POST('/api/v1/projects', { body: { name: 'bench' } })).data!.id;
    const workspaceId = await node.workspace(projectId, 'bench', `exec ${process.execPath} ${FIXTURE_AGENT}`);
    const chat = await node.connect(workspaceId, '&afterSeq=0');

    // Through the task API: listed, then answered there (the control plane forwards to the hosting node).
    const listed: number[] = [];
    const viaApi: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const from = lastSeq(chat);
      const task = (
        await control.client.POST('/api/v1/tasks', { body: { projectId, prompt: '/permission' } })
      ).data!;
      const asked = await next(
        chat,
        from,
        'the request',
        (d) => (d as { kind: string }).kind === 'permission_requested',
      );
      const requestId = (asked.data as { requestId: string }).requestId;
      // Asked as fast as the API answers: the figure is the time until the first listing that has it.
      const isListed = async () =>
        (
          await control.client.GET('/api/v1/tasks/{id}/permissions', { params: { path: { id: task.id } } })
        ).data?.items.some((r) => r.id === requestId) ?? false;
      while (!(await isListed())) if (Date.now() - asked.at > 30_000) throw new Error('never listed');
      listed.push(Date.now() - asked.at);
      const t0 = Date.now();
      await control.client.POST('/api/v1/tasks/{id}/permissions/{requestId}', {
        params: { path: { id: task.id, requestId } },
        body: { optionId: 'yes' },
      });
      viaApi.push((await next(chat, asked.seq, 'the agent to have it', answeredChunk)).at - t0);
      await eventually(
        async () =>
          (await control.client.GET('/api/v1/tasks/{id}', { params: { path: { id: task.id } } })).data
            ?.status === 'completed',
        'the task to end',
        30_000,
      );
    }

    // Through the chat socket: answered on the workspace's own agent socket.
    const viaSocket: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const from = lastSeq(chat);
      chat.send({ type: 'prompt', text: '/permission' });
      const asked = await next(
        chat,
        from,
        'the request',
        (d) => (d as { kind: string }).kind === 'permission_requested',
      );
      const t0 = Date.now();
      chat.send({
        type: 'permission',
        requestId: (asked.data as { requestId: string }).requestId,
        optionId: 'no',
      });
      viaSocket.push((await next(chat, asked.seq, 'the agent to have it', answeredChunk)).at - t0);
      await next(
        chat,
        asked.seq,
        'the end of the turn',
        (d) => (d as { kind: string }).kind === 'turn_ended',
      );
    }

    console.log(`| figure (${RUNS} requests each) | p50 | p90 |`);
    console.log('| --- | --- | --- |');
    const row = (name: string, xs: number[]) =>
      console.log(`| ${name} | ${pct(xs, 50)} ms | ${pct(xs, 90)} ms |`);
    row('request raised → listed by `GET /api/v1/tasks/{id}/permissions`', listed);
    row('answer by `POST …/permissions/{requestId}` → the agent has it', viaApi);
    row('answer on the chat socket → the agent has it', viaSocket);
  } finally {
    await node.close();
    await control.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
};
export default bench;
