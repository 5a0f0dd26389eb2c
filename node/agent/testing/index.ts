// Test entry of node/agent: the fixture ACP agent and how to run it.
import { join } from 'node:path';
import type { AgentCommand } from '../agent-process.ts';

/** Path of the fixture ACP agent script. */
export const FIXTURE_AGENT = join(import.meta.dir, 'fixture-agent.ts');

/** The command that runs the fixture agent in `cwd` with the current bun. */
export function fixtureAgentCommand(cwd: string): AgentCommand {
  return { argv: [process.execPath, FIXTURE_AGENT], cwd, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } };
}
export { AgentSocketClient } from './socket-client.ts';
