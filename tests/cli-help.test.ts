// Every `warren` command answers --help, and misuse or an unreachable server is one line and a non-zero exit,
// never a stack trace.
import { afterAll, describe, expect, it } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const CLI = resolve(import.meta.dir, '../cli/main.ts');
const home = mkdtempSync(join(tmpdir(), 'warren-help-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

function warren(...args: string[]) {
  // From an empty directory with no login: nothing local to find.
  const p = Bun.spawnSync([process.execPath, CLI, ...args], {
    cwd: home,
    env: { ...process.env, WARREN_CONFIG: join(home, 'config.json') },
  });
  return { code: p.exitCode, out: p.stdout.toString(), err: p.stderr.toString() };
}

/** Every command and subcommand a user can type. */
const COMMANDS = [
  ['login'],
  ['ws'],
  ['ws', 'list'],
  ['ws', 'create'],
  ['ws', 'edit'],
  ['ws', 'start'],
  ['ws', 'stop'],
  ['ws', 'retry'],
  ['ws', 'delete'],
  ['ws', 'open'],
  ['ws', 'ssh'],
  ['ws', 'logs'],
  ['ws', 'port-forward'],
  ['task'],
  ['task', 'permissions'],
  ['task', 'answer'],
  ['admin'],
  ['admin', 'users'],
  ['admin', 'login-link'],
  ['admin', 'disable'],
  ['admin', 'delete'],
  ['up'],
  ['control'],
  ['keys'],
  ['keys', 'rotate'],
  ['join-token'],
  ['join-token', 'create'],
  ['mesh'],
  ['mesh', 'status'],
  ['node'],
  ['node', 'join'],
  ['node', 'create'],
  ['node', 'delete'],
  ['node', 'rename'],
  ['node', 'drain'],
  ['node', 'undrain'],
];

/** A line of a stack trace (`    at fn (file:1:2)`) or Bun's source excerpt of a throw. */
const TRACE = /^\s+at |\d+ \| /m;

describe('warren --help', () => {
  it('lists every command', () => {
    const r = warren('--help');
    expect(r.code).toBe(0);
    for (const verb of new Set(COMMANDS.map((c) => c[0]!))) expect(r.out).toContain(`warren ${verb} `);
  });

  for (const cmd of COMMANDS) {
    it(`answers warren ${cmd.join(' ')} --help with its usage`, () => {
      const r = warren(...cmd, '--help');
      expect(r.code).toBe(0);
      expect(r.out).toStartWith('usage: warren ');
      expect(r.out).toContain(`warren ${cmd[0]}`);
      expect(r.err).toBe('');
    });
  }
});

describe('warren misuse', () => {
  const oneLine = (r: { code: number; err: string }, code: number, says: RegExp) => {
    expect(r.code).toBe(code);
    expect(r.err.trimEnd().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(says);
    expect(r.err).not.toMatch(TRACE);
  };

  it('says in one line what to do about an unknown command, subcommand or flag', () => {
    oneLine(warren('frobnicate'), 2, /unknown command "frobnicate"; see warren --help/);
    oneLine(warren('ws', 'frobnicate'), 2, /unknown subcommand "frobnicate".*warren ws --help/);
    oneLine(warren('ws', 'list', '--bogus'), 2, /Unknown option '--bogus'.*warren ws --help/);
    oneLine(warren('up', '--bogus'), 2, /--bogus.*warren up --help/);
    oneLine(warren('control', '--bogus'), 2, /--bogus.*warren control --help/);
    oneLine(warren('mesh', 'status', '--bogus'), 2, /--bogus.*warren mesh --help/);
    oneLine(warren('node', 'frobnicate'), 2, /warren node --help/);
  });

  it('says what is missing', () => {
    oneLine(warren('ws', 'ssh'), 2, /name the workspace/);
    oneLine(warren('ws', 'create'), 2, /warren ws create NAME/);
    oneLine(warren('ws', 'edit', 'box'), 2, /name something to change/);
    oneLine(warren('ws', 'edit', 'box', '--env', 'NOVALUE'), 2, /--env takes NAME=VALUE/);
    oneLine(warren('ws', 'logs', 'box', '--tail', 'many'), 2, /--tail is a whole number/);
    oneLine(warren('ws', 'retry'), 2, /name the workspace/);
    oneLine(warren('ws', 'port-forward', 'box'), 2, /LOCAL:REMOTE/);
    oneLine(warren('ws', 'port-forward', 'box', 'x:y'), 2, /not LOCAL:REMOTE/);
    oneLine(warren('login'), 2, /warren login https:/);
    oneLine(warren('mesh', 'status'), 2, /--data DIR/);
    oneLine(warren('task', 'frobnicate'), 2, /unknown subcommand "frobnicate".*warren task --help/);
    oneLine(warren('task', 'permissions'), 2, /name the task/);
    oneLine(warren('task', 'answer', 'task_x'), 2, /warren task answer TASK \[REQUEST\] OPTION/);
  });

  it('says the control plane is not reachable, and how to point at it', () => {
    const r = warren('ws', 'list', '--url', 'http://127.0.0.1:9', '--token', 'wrn_api_x');
    oneLine(r, 1, /cannot reach the control plane at http:\/\/127\.0\.0\.1:9.*--url URL/);
    oneLine(warren('ws', 'list', '--data', join(home, 'nope')), 2, /no such directory/);
  });
});
