#!/usr/bin/env bun
// `warren`: the command-line entry point; dispatches to one module per verb.
import { nodeCommand } from './node.ts';

const USAGE = `usage: warren <command> …

commands:
  node join   run this machine as a Warren node`;

const [command, ...rest] = process.argv.slice(2);
switch (command) {
  case 'node':
    process.exitCode = await nodeCommand(rest);
    break;
  default:
    console.error(command ? `warren: unknown command "${command}"\n\n${USAGE}` : USAGE);
    process.exitCode = 2;
}
