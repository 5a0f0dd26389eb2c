// `bun run bench tasks [--tasks 20] [--prs 10]`: how long a submitted task takes to reach its agent's first output,
// and to open its pull request. Real control plane, real node processes (sandboxed where the machine can), the
// fixture agent, acme/app served by `git http-backend`, FakeGitHub. Tasks run one at a time; p50 and p90 in ms.
//
//   - warm pool: each task gets a new workspace on a warm-pool node (local provider), no repository to clone;
//   - placement: each task gets a new workspace on a running node by ordinary placement, no repository;
//   - placement + clone: the same, the project's repository (and submodule) cloned before the agent starts;
//     these tasks edit one file, so they also give submitted → pull request opened;
//   - idle workspace: each task runs on an idle workspace whose agent is ready (no workspace to make).
import { defaultInfraConfig } from '../../control/testing/index.ts';
import { AgentSocketClient, eventually } from '../../node/testing/index.ts';
import { sandboxAvailable } from '../../tests/index.ts';
import { startTaskWorld, type TaskWorld } from '../../tests/testing/index.ts';

function parseArgs(args: string[]): { tasks: number; prs: number } {
  const num = (flag: string, fallback: number) => {
    const i = args.indexOf(flag);
    return i >= 0 ? Number(args[i + 1]) : fallback;
  };
  return { tasks: num('--tasks', 20), prs: num('--prs', 10) };
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((s.length * p) / 100))] ?? 0;
};

/** Task workspaces stop soon (after their transcript was read) and go soon after, so twenty never pile up. */
const REAP = { taskWorkspaces: { idleStopMs: 5_000, retentionMs: 8_000 } };

/**
 * The agent's first output for `prompt` in the transcript of the task's workspace (`at`, ms since the epoch): the
 * first agent update after the prompt's own event, read back from the node's agent socket.
 */
async function firstOutputAt(w: TaskWorld, workspaceId: string, prompt: string): Promise<number> {
  const ws = (
    await w.control.client.GET('/api/v1/workspaces/{id}', { params: { path: { id: workspaceId } } })
  ).data!;
  const node = (await w.control.client.GET('/api/v1/nodes/{id}', { params: { path: { id: ws.nodeId! } } }))
    .data!;
  // The node takes a workspace token of the workspace's owner only.
  const token = await w.api.POST('/api/v1/workspaces/{id}/tokens', {
    params: { path: { id: workspaceId } },
    body: { scopes: ['agent'] },
    headers: w.headers,
  });
  const socket = await AgentSocketClient.connect(
    `${node.address.replace('http', 'ws')}/w/${workspaceId}/_agent?token=${encodeURIComponent(token.data!.token)}&afterSeq=0`,
  );
  try {
    const first = await socket.waitFor((c) => {
      const events = c.events();
      const i = events.findIndex((e) => e.data.kind === 'prompt' && e.data.text === prompt);
      return i < 0 ? undefined : events.slice(i + 1).find((e) => e.data.kind === 'update');
    }, 'the first output');
    return first.at;
  } finally {
    socket.close();
  }
}

/** Runs `n` tasks one at a time; `before` runs ahead of each submission (e.g. wait for a warm node). */
async function run(
  w: TaskWorld,
  n: number,
  prompt: (i: number) => string,
  before: () => Promise<void> = async () => {},
): Promise<{ firstOutput: number[]; pullRequest: number[] }> {
  const firstOutput: number[] = [];
  const pullRequest: number[] = [];
  for (let i = 0; i < n; i++) {
    await before();
    const text = prompt(i);
    const submittedAt = Date.now();
    const t = await w.submit(text);
    const done = await w.ended(t.id, 'completed', 120_000);
    firstOutput.push((await firstOutputAt(w, done.workspaceId!, text)) - submittedAt);
    const pr = w.world.fake.pulls.find((p) => p.head === `warren/task-${t.id}`);
    if (pr) pullRequest.push(pr.openedAt - submittedAt);
  }
  return { firstOutput, pullRequest };
}

export default async function tasksBench(args: string[]): Promise<void> {
  const { tasks, prs } = parseArgs(args);
  const runtime = sandboxAvailable ? 'sandbox' : 'process';
  const rows: [string, string, number[]][] = [];

  // Warm pool: no node of the project's own; each workspace claims a warm node the pool refills.
  const pooled = await startTaskWorld({
    repository: false,
    config: {
      ...REAP,
      infra: {
        ...defaultInfraConfig(),
        warmPool: { minWarm: 2, idleTimeoutMs: 1_000, scope: 'instance', maintainEveryMs: 200 },
      },
    },
  });
  try {
    const warmNodes = async () =>
      Number(
        (
          await pooled.control.deps.database.client.execute(
            "SELECT count(*) AS n FROM warm_nodes WHERE state = 'warm'",
          )
        ).rows[0]?.n ?? 0,
      );
    const waitWarm = async () => {
      await eventually(async () => (await warmNodes()) > 0, 'a warm node', 120_000);
    };
    const r = await run(pooled, tasks, (i) => `pool ${i}`, waitWarm);
    rows.push(['warm pool: new workspace on a warm node', 'submitted → first output', r.firstOutput]);
  } finally {
    await pooled.stop();
  }

  const plain = await startTaskWorld({ repository: false, config: REAP });
  try {
    await plain.joinNode('bench-plain', runtime);
    const r = await run(plain, tasks, (i) => `placed ${i}`);
    rows.push(['placement: new workspace on a running node', 'submitted → first output', r.firstOutput]);
  } finally {
    await plain.stop();
  }

  const cloned = await startTaskWorld({
    ...(sandboxAvailable ? { namespace: { name: 'wrnbench', block: 4 } } : {}),
    config: REAP,
  });
  try {
    await cloned.joinNode('bench-clone', runtime);
    const r = await run(cloned, Math.max(tasks, prs), (i) => `/edit NOTES.md change ${i}`);
    rows.push([
      'placement + clone: new workspace, repository cloned',
      'submitted → first output',
      r.firstOutput,
    ]);
    rows.push(['placement + clone: one-file change', 'submitted → pull request opened', r.pullRequest]);

    // An idle workspace of the project whose agent is ready takes each task.
    const idle = await cloned.api.POST('/api/v1/workspaces', {
      body: { name: 'idle', projectId: cloned.projectId },
      headers: cloned.headers,
    });
    await eventually(
      async () =>
        (
          await cloned.api.GET('/api/v1/workspaces/{id}', {
            params: { path: { id: idle.data!.id } },
            headers: cloned.headers,
          })
        ).data?.agentState === 'ready',
      'the idle workspace agent',
      60_000,
    );
    const reuse = await run(cloned, tasks, (i) => `hello ${i}`);
    rows.push(['idle workspace, agent ready', 'submitted → first output', reuse.firstOutput]);
  } finally {
    await cloned.stop();
  }

  console.log(`runtime: ${runtime}, tasks one at a time\n`);
  console.log('| how the task is placed | measure | n | p50 ms | p90 ms |');
  console.log('| --- | --- | ---: | ---: | ---: |');
  for (const [how, what, xs] of rows)
    console.log(
      `| ${how} | ${what} | ${xs.length} | ${pct(xs, 50).toFixed(0)} | ${pct(xs, 90).toFixed(0)} |`,
    );
}
