// A task workspace's repository: cloned (with its submodules) before its agent starts, and after a task's turn
// its changes committed on `warren/task-<id>` and pushed. Every git command runs as one of the workspace's own
// processes (its sandbox, its environment), so git reaches GitHub only through the workspace's credential socket.
import type { TaskGitResult, WorkspaceRepository } from '../../contract/index.ts';
import { cloneCommand } from './workspace-git-env.ts';

/** Starts `argv` as a process of the workspace (Runtime.spawn); stdout and stderr piped. */
export type WorkspaceLaunch = (argv: string[]) => {
  proc: { stdout: unknown; stderr: unknown; exited: Promise<number> };
};

export interface WorkspaceRepoOptions {
  /** The shell that runs the small scripts below (`sh` is enough). */
  shell: string;
  /** Where git's own output goes (the workspace's agent log), so a failed clone or push can be read. */
  output?(workspaceId: string, text: string): void;
}

export interface WorkspaceRepo {
  /** Clones `repo` into `<home>/<repo.dir>` unless a checkout is there already; false when git failed. */
  clone(workspaceId: string, launch: WorkspaceLaunch, repo: WorkspaceRepository): Promise<boolean>;
  /**
   * Commits whatever changed in the checkout on `branch` (made from the current branch the first time) and pushes
   * it; undefined when nothing changed. Throws with git's last words when committing or pushing failed.
   */
  publish(
    workspaceId: string,
    launch: WorkspaceLaunch,
    input: { dir: string; branch: string; message: string },
  ): Promise<TaskGitResult | undefined>;
}

/** The name git commits carry (the pull request shows the task's owner; the commit says which tool made it). */
const AUTHOR = ['-c', 'user.name=Warren', '-c', 'user.email=warren@users.noreply.github.com'];

/** `$1` the folder, then the clone argv: a checkout already there is kept (a restarted workspace continues). */
const CLONE = 'if [ -d "$1/.git" ]; then exit 0; fi; rm -rf -- "$1"; shift; exec "$@"';

/**
 * `$1` folder, `$2` branch, `$3` message, then the author options. Prints `base <branch>` when it leaves the
 * branch it started on, and `commit <sha>` once pushed; prints nothing when the tree did not change.
 */
const PUBLISH = `cd -- "$1" 2>/dev/null || exit 0
branch=$2; message=$3; shift 3
git rev-parse --git-dir >/dev/null 2>&1 || exit 0
[ -n "$(git status --porcelain)" ] || exit 0
current=$(git symbolic-ref --short -q HEAD || true)
if [ "$current" != "$branch" ]; then
  [ -n "$current" ] && echo "base $current"
  git checkout -q -B "$branch" || exit 1
fi
git add -A || exit 1
git "$@" commit -q -m "$message" || exit 1
git push -q origin "HEAD:refs/heads/$branch" || exit 1
echo "commit $(git rev-parse HEAD)"`;

/** Most characters of git's output quoted in an error. */
const QUOTED = 400;

async function run(launch: WorkspaceLaunch, argv: string[]) {
  const { proc } = launch(argv);
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout as ReadableStream).text(),
    new Response(proc.stderr as ReadableStream).text(),
    proc.exited,
  ]);
  return { code, stdout, stderr };
}

export function createWorkspaceRepo(options: WorkspaceRepoOptions): WorkspaceRepo {
  const sh = options.shell;
  return {
    async clone(workspaceId, launch, repo) {
      const argv = cloneCommand({ url: repo.url, dir: repo.dir });
      const r = await run(launch, [sh, '-c', CLONE, 'warren-clone', repo.dir, ...argv]);
      const said = `${r.stdout}${r.stderr}`;
      if (said) options.output?.(workspaceId, said);
      return r.code === 0;
    },
    async publish(workspaceId, launch, input) {
      const r = await run(launch, [
        sh,
        '-c',
        PUBLISH,
        'warren-publish',
        input.dir,
        input.branch,
        input.message,
        ...AUTHOR,
      ]);
      if (r.stderr) options.output?.(workspaceId, r.stderr);
      if (r.code !== 0) {
        const last = r.stderr.trim().slice(-QUOTED) || `git exited with ${r.code}`;
        throw new Error(`the task's changes could not be committed and pushed: ${last}`);
      }
      const commit = /^commit ([0-9a-f]{40,64})$/m.exec(r.stdout)?.[1];
      if (!commit) return undefined;
      const base = /^base (\S+)$/m.exec(r.stdout)?.[1];
      return { branch: input.branch, commit, ...(base ? { base } : {}) };
    },
  };
}
