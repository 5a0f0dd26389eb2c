// The environment and clone command that make git and gh in a workspace use the node's credential helper.
import { join } from 'node:path';

/** The folder holding `git-credential-warren` and the `gh` wrapper. */
export const GIT_BIN_DIR = join(import.meta.dir, 'bin');
/** The credential helper script git runs. */
export const CREDENTIAL_HELPER_PATH = join(GIT_BIN_DIR, 'git-credential-warren');

export interface WorkspaceGitEnvInput {
  /** The workspace's credential socket as its processes see it (e.g. `/run/warren/git.sock`); absolute. */
  socket: string;
  /** The PATH the workspace would otherwise have; the wrapper folder goes first so `gh` is the wrapper. */
  path: string;
  /** Override of the helper script (tests); default CREDENTIAL_HELPER_PATH. */
  helperPath?: string;
  binDir?: string;
}

/**
 * Variables for the workspace's processes. They hold no secret: the socket a request arrives on says which
 * workspace asks, so reading another workspace's environment gains nothing. git reads
 * `GIT_CONFIG_COUNT/KEY_n/VALUE_n` as command-line config, so nothing is written to any config file:
 * `credential.helper` is first reset (an empty value clears helpers from system and global config, so no
 * `store` helper writes the token to disk) and then set to the Warren helper. gh gets its token per call
 * from the wrapper, so there is no GH_TOKEN here.
 */
export function workspaceGitEnvironment(input: WorkspaceGitEnvInput): Record<string, string> {
  const helper = input.helperPath ?? CREDENTIAL_HELPER_PATH;
  return {
    WARREN_GIT_SOCKET: input.socket,
    GIT_CONFIG_COUNT: '2',
    GIT_CONFIG_KEY_0: 'credential.helper',
    GIT_CONFIG_VALUE_0: '',
    GIT_CONFIG_KEY_1: 'credential.helper',
    // A `!` helper is run by the shell, so a path with spaces still works when quoted.
    GIT_CONFIG_VALUE_1: `!${shellQuote(helper)}`,
    // No interactive prompt: without a token git fails at once instead of waiting on a terminal.
    GIT_TERMINAL_PROMPT: '0',
    PATH: `${input.binDir ?? GIT_BIN_DIR}:${input.path}`,
  };
}

/** URL prefixes that point at GitHub over SSH, rewritten to HTTPS so the helper can answer for them. */
export const GITHUB_SSH_PREFIXES = ['git@github.com:', 'ssh://git@github.com/'];

export interface CloneCommandInput {
  url: string;
  dir: string;
  recurseSubmodules?: boolean;
  /** `{ base: [prefixes] }`: inline `url.<base>.insteadOf=<prefix>`; default maps GitHub SSH to HTTPS. */
  insteadOf?: Record<string, string[]>;
}

/**
 * argv for the initial clone. The `insteadOf` rewrites are passed with `-c`, which git hands to the
 * submodule clones it spawns but never writes into `.git/config`; no token is part of any URL.
 */
export function cloneCommand(input: CloneCommandInput): string[] {
  const rewrites = input.insteadOf ?? { 'https://github.com/': GITHUB_SSH_PREFIXES };
  const args = ['git'];
  for (const [base, prefixes] of Object.entries(rewrites)) {
    for (const prefix of prefixes) args.push('-c', `url.${base}.insteadOf=${prefix}`);
  }
  args.push('clone');
  if (input.recurseSubmodules ?? true) args.push('--recurse-submodules');
  args.push('--', input.url, input.dir);
  return args;
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
