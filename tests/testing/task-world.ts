// A world for tasks end to end (tests/task-pr.test.ts and `bun run bench tasks`): a real control plane with the
// FakeGitHub behind it, acme/app (with acme/lib as a submodule) served by `git http-backend`, alice signed in with
// GitHub, her project whose defaults run the fixture agent, and real node processes joining it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type GitHubWorld,
  signInWithGitHub,
  startGitHubWorld,
  startTestControl,
  type TestControl,
  type TestControlOptions,
  WORLD,
} from '../../control/testing/index.ts';
import { createBareRepo, eventually, FIXTURE_AGENT, tempDataDir } from '../../node/testing/index.ts';
import type { ControlClient } from '../../openapi/client/index.ts';
import { type ServedGit, startServedGit } from './served-git.ts';
import { NODE_READY, startWarren } from './warren-process.ts';

/** A task as the API answers it (the fields these callers read). */
export type TaskView = {
  id: string;
  status: string;
  workspaceId: string | null;
  branch: string | null;
  commit: string | null;
  pullRequestUrl: string | null;
  summary: string | null;
};

export interface TaskWorld {
  world: GitHubWorld;
  control: TestControl;
  git: ServedGit;
  /** The folder of the served bare repositories (`acme/app.git`, `acme/lib.git`). */
  served: string;
  /** Unauthenticated client; pass `headers` (alice's session) with each call. */
  api: ControlClient;
  headers: { cookie: string };
  projectId: string;
  /** Joins a real node process (sandboxed where the machine can); its data dir goes with `stop`. */
  joinNode(
    name: string,
    runtime: 'sandbox' | 'process',
  ): Promise<{ nodeId: string; url: string; dataDir: string }>;
  submit(prompt: string): Promise<TaskView>;
  task(id: string): Promise<TaskView>;
  /** Waits until the task ended and answers it; it must have ended `status`. */
  ended(id: string, status?: string, timeoutMs?: number): Promise<TaskView>;
  stop(): Promise<void>;
}

/** The repositories the git server stands for, by path. */
const SERVED: Record<string, number> = { 'acme/app': WORLD.repos.app, 'acme/lib': WORLD.repos.lib };

export async function startTaskWorld(o: {
  /** A namespace of the caller's own for sandboxed workspaces to reach the git server through. */
  namespace?: { name: string; block: number };
  config?: TestControlOptions['config'];
  /** Bind the project to acme/app (+ acme/lib); default true. Without, tasks clone nothing and open no PR. */
  repository?: boolean;
}): Promise<TaskWorld> {
  const work = mkdtempSync(join(tmpdir(), 'warren-task-world-'));
  const served = join(work, 'served');
  const world = startGitHubWorld();
  const lib = createBareRepo(join(served, 'acme'), 'lib', { 'LIB.md': 'acme/lib\n' }, join(work, 'src'));
  createBareRepo(join(served, 'acme'), 'app', { 'README.md': '# acme/app\n' }, join(work, 'src'), [
    { path: 'lib', url: '../lib.git', commit: lib.commit },
  ]);
  const git = await startServedGit({
    root: served,
    // The token must cover the repository: a token minted for another set is refused, as GitHub would.
    accepts: (password, repo) =>
      SERVED[repo] !== undefined &&
      (world.fake.installationToken(password)?.repositoryIds?.includes(SERVED[repo]) ?? false),
    ...(o.namespace ? { namespace: o.namespace } : {}),
  });
  world.config.gitBaseUrl = git.base;
  // As GitHub, the fake opens a pull request only for branches the repository has: the push must come first.
  world.fake.branchExists = (fullName, ref) =>
    Bun.spawnSync(['git', 'rev-parse', '--verify', '-q', `refs/heads/${ref}`], {
      cwd: join(served, `${fullName}.git`),
    }).exitCode === 0;
  const control = await startTestControl({
    github: world.config,
    config: { heartbeatIntervalMs: 300, taskSweepMs: 150, ...o.config },
  });
  const api = control.clientWith();
  const signed = await signInWithGitHub(control.url, world.fake, WORLD.alice);
  const headers = { cookie: `warren_session=${signed.session}` };
  await fetch(
    `${control.url}/api/v1/github/setup?installation_id=${WORLD.installationId}&setup_action=install`,
    { headers, redirect: 'manual' },
  );
  const project = await api.POST('/api/v1/projects', {
    body: { name: 'tasks', agentCommand: `exec ${process.execPath} ${FIXTURE_AGENT}` },
    headers,
  });
  const projectId = project.data!.id;
  if (o.repository ?? true) {
    const path = { params: { path: { id: projectId } }, headers };
    await api.PUT('/api/v1/projects/{id}/repositories/primary', {
      ...path,
      body: { installationId: WORLD.installationId, repo: 'acme/app' },
    });
    await api.POST('/api/v1/projects/{id}/repositories', { ...path, body: { repo: 'acme/lib' } });
  }

  const nodes: { proc: ReturnType<typeof Bun.spawn>; dataDir: string }[] = [];
  const task = async (id: string) =>
    (await api.GET('/api/v1/tasks/{id}', { params: { path: { id } }, headers })).data as TaskView;
  return {
    world,
    control,
    git,
    served,
    api,
    headers,
    projectId,
    async joinNode(name, runtime) {
      const dataDir = tempDataDir();
      const jt = await control.client.POST('/api/v1/join-tokens', { body: {} });
      const started = await startWarren<{ nodeId: string; url: string }, 'inherit'>(
        [
          'node',
          'join',
          '--control',
          control.url,
          '--join-token',
          jt.data!.token,
          '--data',
          dataDir,
          '--listen',
          '127.0.0.1:0',
          '--name',
          name,
          '--runtime',
          runtime,
        ],
        NODE_READY,
        'the node to join',
        { stderr: 'inherit', env: { WARREN_GIT_ALLOWED_ORIGINS: git.base }, timeoutMs: 30_000 },
      );
      nodes.push({ proc: started.proc, dataDir });
      return { ...started.ready, dataDir };
    },
    async submit(prompt) {
      const r = await api.POST('/api/v1/tasks', { body: { projectId, prompt }, headers });
      if (!r.data) throw new Error(`the task was refused: ${r.response.status}`);
      return r.data as TaskView;
    },
    task,
    async ended(id, status = 'completed', timeoutMs = 60_000) {
      let last: TaskView | undefined;
      await eventually(
        async () => {
          last = await task(id);
          return ['completed', 'failed', 'cancelled'].includes(last.status);
        },
        `task ${id} to end`,
        timeoutMs,
      );
      if (last?.status !== status) throw new Error(`task ended ${last?.status}: ${JSON.stringify(last)}`);
      return last;
    },
    async stop() {
      for (const n of nodes) n.proc.kill('SIGTERM');
      await Promise.all(nodes.map((n) => n.proc.exited));
      await control.stop();
      await git.stop();
      await world.stop();
      for (const n of nodes) rmSync(n.dataDir, { recursive: true, force: true });
      rmSync(work, { recursive: true, force: true });
    },
  };
}
