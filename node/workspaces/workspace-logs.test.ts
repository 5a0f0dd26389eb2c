// Workspace logs: tagged lines, bounded rotated files of mode 0600, tail across rotation and sources, live follow.
import { afterEach, describe, expect, it } from 'bun:test';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LOG_LINE_MAX, type LogLine } from '../../contract/index.ts';
import { createWorkspaceLogs } from './workspace-logs.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function setup(maxBytes = 1024 * 1024, files = 2) {
  const dir = mkdtempSync(join(tmpdir(), 'warren-logs-'));
  dirs.push(dir);
  return { dir, logs: createWorkspaceLogs(dir, { maxBytes, files }) };
}

describe('Workspace logs', () => {
  it('splits output into lines tagged with source, stream and time, and keeps a partial line until it ends', () => {
    const { logs } = setup();
    const out = logs.writer('w1', 'app', 'stdout');
    const err = logs.writer('w1', 'app', 'stderr');
    out.write('one\ntw');
    err.write(new TextEncoder().encode('oops\r\n'));
    expect(logs.tail('w1', 10).map((l) => l.text)).toEqual(['one', 'oops']);
    out.write('o\n');
    out.write('three');
    out.end();
    const lines = logs.tail('w1', 10);
    expect(lines.map((l) => [l.source, l.stream, l.text])).toEqual([
      ['app', 'stdout', 'one'],
      ['app', 'stderr', 'oops'],
      ['app', 'stdout', 'two'],
      ['app', 'stdout', 'three'],
    ]);
    for (const l of lines) expect(Date.parse(l.at)).toBeGreaterThan(Date.now() - 60_000);
    expect(logs.tail('w1', 2).map((l) => l.text)).toEqual(['two', 'three']);
    expect(logs.tail('w2', 10)).toEqual([]);
  });

  it('keeps files of mode 0600, rotates past the size bound and never keeps more than the configured files', () => {
    const { dir, logs } = setup(2000, 2);
    const w = logs.writer('w1', 'app', 'stdout');
    for (let i = 0; i < 500; i++) w.write(`line ${i} ${'x'.repeat(40)}\n`);
    const files = readdirSync(dir).sort();
    expect(files).toEqual(['w1.app.log', 'w1.app.log.1']);
    for (const f of files) {
      expect(statSync(join(dir, f)).mode & 0o777).toBe(0o600);
      expect(statSync(join(dir, f)).size).toBeLessThanOrEqual(2000);
    }
    // The newest lines survive rotation, in order, across both files.
    const tail = logs.tail('w1', 30).map((l) => l.text.split(' ')[1]);
    expect(tail).toEqual(Array.from({ length: 30 }, (_, i) => String(470 + i)).slice(-tail.length));
    expect(tail.at(-1)).toBe('499');
    expect(tail.length).toBeGreaterThan(20);
  });

  it('rotates app and agent apart, so a chatty agent never pushes out the app lines', () => {
    const { logs } = setup(2000, 2);
    logs.writer('w1', 'app', 'stderr').write('the app failed: EADDRINUSE\n');
    const agent = logs.writer('w1', 'agent', 'stdout');
    for (let i = 0; i < 500; i++) agent.write(`{"jsonrpc":"2.0","n":${i}}\n`);
    expect(logs.tail('w1', 5, 'app').map((l) => l.text)).toEqual(['the app failed: EADDRINUSE']);
    expect(logs.tail('w1', 3, 'agent').map((l) => l.text)).toEqual([
      '{"jsonrpc":"2.0","n":497}',
      '{"jsonrpc":"2.0","n":498}',
      '{"jsonrpc":"2.0","n":499}',
    ]);
  });

  it('cuts endless lines into pieces of the longest line kept', () => {
    const { logs } = setup();
    const w = logs.writer('w1', 'app', 'stdout');
    w.write('y'.repeat(LOG_LINE_MAX * 2 + 10));
    w.end();
    expect(logs.tail('w1', 10).map((l) => l.text.length)).toEqual([LOG_LINE_MAX, LOG_LINE_MAX, 10]);
  });

  it('tells followers each new line of their workspace only, and stops after unsubscribe', () => {
    const { logs } = setup();
    const seen: LogLine[] = [];
    const stop = logs.follow('w1', (l) => seen.push(l));
    logs.writer('w1', 'agent', 'stderr').write('a\nb\n');
    logs.writer('w2', 'app', 'stdout').write('other\n');
    stop();
    logs.writer('w1', 'app', 'stdout').write('after\n');
    expect(seen.map((l) => `${l.source}/${l.stream}:${l.text}`)).toEqual([
      'agent/stderr:a',
      'agent/stderr:b',
    ]);
  });

  it('removes every file of a deleted workspace', () => {
    const { dir, logs } = setup(200, 3);
    const w = logs.writer('w1', 'app', 'stdout');
    for (let i = 0; i < 50; i++) w.write(`line ${i}\n`);
    logs.writer('w1', 'agent', 'stderr').write('x\n');
    logs.writer('w2', 'app', 'stdout').write('kept\n');
    logs.remove('w1');
    expect(readdirSync(dir)).toEqual(['w2.app.log']);
    expect(existsSync(join(dir, 'w1.app.log'))).toBe(false);
    expect(logs.tail('w1', 10)).toEqual([]);
  });
});
