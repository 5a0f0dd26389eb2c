// Test entry of node/agent: the fixture ACP agent and how to run it.
import { join } from 'node:path';
import { spawnInGroup } from '../../workspaces/index.ts';
import type { AgentCommand } from '../agent-process.ts';

/** Path of the fixture ACP agent script. */
export const FIXTURE_AGENT = join(import.meta.dir, 'fixture-agent.ts');

/** The command that runs the fixture agent in `cwd` with the current bun. */
export function fixtureAgentCommand(cwd: string): AgentCommand {
  return plainAgentCommand([process.execPath, FIXTURE_AGENT], cwd);
}

/** `argv` as an agent command launched without isolation in `cwd` (unit tests of the agent bridge). */
export function plainAgentCommand(
  argv: string[],
  cwd: string,
  env: Record<string, string> = {},
): AgentCommand {
  const base = { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env };
  return { argv, cwd, env: base, launch: (r) => spawnInGroup(r.argv, cwd, r) };
}
export { AgentSocketClient } from './socket-client.ts';
