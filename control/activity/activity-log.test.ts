// The activity log on a real libSQL file: order, workspace-bound cursors (own, foreign, tampered, pruned),
// and FTS input that can neither break nor widen the query.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@libsql/client';
import { type Database, openDatabase } from '../db/index.ts';
import { ControlError } from '../errors.ts';
import { FakeClock, seedRows } from '../testing/index.ts';
import { type ActivityLog, createActivityLog, defaultActivityConfig } from './activity-log.ts';
import { encodeCursor } from './cursor.ts';

const A = 'wsaaaaaaaaaaaaaaaaaaaa';
const B = 'wsbbbbbbbbbbbbbbbbbbbb';
const key = crypto.getRandomValues(new Uint8Array(32));
let dir: string;
let database: Database;
let client: Client;
let clock: FakeClock;
let log: ActivityLog;

async function failure(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ControlError) return { code: e.code, message: e.message };
    throw e;
  }
  throw new Error('expected a failure');
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'warren-activity-'));
  database = await openDatabase(`file:${join(dir, 'control.db')}`);
  client = database.client;
  await seedRows(client, {
    users: ['usaaaaaaaaaaaaaaaaaaaa'],
    projects: ['praaaaaaaaaaaaaaaaaaaa'],
    workspaces: [A, B],
  });
  clock = new FakeClock(Date.UTC(2030, 0, 1));
  log = createActivityLog({
    client,
    clock,
    cursorKey: key,
    config: { ...defaultActivityConfig(), retentionMs: 60_000 },
  });
});

afterAll(() => {
  database.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('Activity log', () => {
  it('lists newest first, and strictly after a cursor oldest first', async () => {
    const made = [];
    for (let i = 1; i <= 5; i++) {
      made.push(
        await log.append({ workspaceId: A, kind: 'lifecycle', type: 'workspace.step', message: `step ${i}` }),
      );
      clock.advance(10);
    }
    await log.append({ workspaceId: B, kind: 'task', type: 'task.queued', message: 'other workspace' });
    const newest = await log.list(A);
    expect(newest.map((e) => e.message)).toEqual(['step 5', 'step 4', 'step 3', 'step 2', 'step 1']);
    const after = await log.list(A, { sinceId: made[1]?.id as string });
    expect(after.map((e) => e.message)).toEqual(['step 3', 'step 4', 'step 5']);
    expect(await log.list(A, { sinceId: made[4]?.id as string })).toEqual([]);
    expect((await log.list(A, { limit: 2 })).map((e) => e.message)).toEqual(['step 5', 'step 4']);
  });

  it('refuses a cursor from another workspace and a tampered one alike with 400 invalid_cursor', async () => {
    const [b] = await log.list(B);
    const [a] = await log.list(A);
    const foreign = await failure(log.list(A, { sinceId: b?.id as string }));
    expect(foreign.code).toBe('invalid_cursor');
    // A cursor naming a workspace that does not exist at all answers the very same.
    const nowhere = encodeCursor(key, { workspaceId: 'wszzzzzzzzzzzzzzzzzzzz', id: 1, at: clock.now() });
    expect(await failure(log.list(A, { sinceId: nowhere }))).toEqual(foreign);

    const [body, mac] = String(a?.id).split('.');
    const forged = Buffer.from(JSON.stringify([A, 1, clock.now()])).toString('base64url');
    for (const bad of [
      `${forged}.${mac}`, // body changed, MAC kept
      `${body}.${(mac as string).slice(0, -2)}AA`, // MAC changed
      encodeCursor(crypto.getRandomValues(new Uint8Array(32)), { workspaceId: A, id: 1, at: clock.now() }),
      'garbage',
      '.',
      `${Buffer.from(JSON.stringify([B, 1, 0])).toString('base64url')}.${mac}`, // re-pointed at B
    ])
      expect(await failure(log.list(A, { sinceId: bad }))).toEqual(foreign);
  });

  it('answers 410 gone for a cursor older than the retention, before and after pruning', async () => {
    const old = await log.append({ workspaceId: A, kind: 'agent', type: 'agent.note', message: 'old news' });
    clock.advance(61_000);
    expect((await failure(log.list(A, { sinceId: old.id }))).code).toBe('gone');
    const fresh = await log.append({
      workspaceId: A,
      kind: 'agent',
      type: 'agent.note',
      message: 'fresh news',
    });
    expect(await log.prune()).toBeGreaterThan(0);
    expect((await failure(log.list(A, { sinceId: old.id }))).code).toBe('gone');
    expect((await log.list(A)).map((e) => e.message)).toEqual(['fresh news']);
    expect(await log.list(A, { sinceId: fresh.id })).toEqual([]);
    // The foreign check comes first: a pruned cursor of B on A is still just invalid.
    expect((await failure(log.list(B, { sinceId: old.id }))).code).toBe('invalid_cursor');
  });
});

/** What a search for `input` must return: messages holding every term's tokens as a phrase. */
function reference(messages: string[], input: string): string[] {
  const tokens = (s: string) =>
    s
      .toLowerCase()
      .split(/[^\p{L}\p{N}]+/u)
      .filter(Boolean);
  const phrases = input
    .split(/\s+/)
    .map(tokens)
    .filter((t) => t.length > 0);
  if (phrases.length === 0) return [];
  const holds = (text: string[], phrase: string[]) =>
    text.some((_, i) => phrase.every((t, j) => text[i + j] === t));
  return messages.filter((m) => phrases.every((p) => holds(tokens(m), p) || holds(['agent', 'note'], p)));
}

describe('Activity search', () => {
  const W = 'wscccccccccccccccccccc';
  const messages = [
    'deploy failed on node alpha',
    'deploy succeeded',
    'alpha OR beta rollout',
    'near the NEAR operator',
    'quote "here" and there',
    'minus -sign and star* and (parens)',
    'build passed',
    'col:value and caret^ stuff',
  ];

  beforeAll(async () => {
    await seedRows(client, {
      users: ['usaaaaaaaaaaaaaaaaaaaa'],
      projects: ['praaaaaaaaaaaaaaaaaaaa'],
      workspaces: [W],
    });
    for (const message of messages)
      await log.append({ workspaceId: W, kind: 'agent', type: 'agent.note', message });
  });

  const inputs = [
    'deploy',
    'deploy failed',
    'deploy OR build',
    'OR',
    'alpha OR beta',
    'NEAR(deploy alpha)',
    'NEAR',
    'deploy*',
    'dep*',
    '*',
    '-deploy',
    'deploy -failed',
    'NOT deploy',
    'deploy AND NOT failed',
    '"',
    '""',
    'quote "here',
    '"here" OR "build"',
    '(',
    ')',
    '(deploy OR build)',
    'col:value',
    'message:deploy',
    '^deploy',
    '{message}: deploy',
    'a"b"c',
    '   ',
    '',
  ];

  for (const input of inputs)
    it(`takes ${JSON.stringify(input)} literally`, async () => {
      const got = (await log.list(W, { q: input })).map((e) => e.message).sort();
      expect(got).toEqual(reference(messages, input).sort());
    });

  it('never widens: adding an operator word only narrows the match', async () => {
    const deploy = await log.list(W, { q: 'deploy' });
    expect(deploy.length).toBe(2);
    expect((await log.list(W, { q: 'deploy OR build' })).length).toBe(0);
    expect((await log.list(W, { q: 'alpha OR beta' })).map((e) => e.message)).toEqual([
      'alpha OR beta rollout',
    ]);
  });

  it('keeps search inside the workspace', async () => {
    expect(await log.list(A, { q: 'deploy' })).toEqual([]);
  });
});
