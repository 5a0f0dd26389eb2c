// The credential socket's server at its edges: an odd Host or a handler that throws gets the one error shape,
// never Bun's development page with source lines.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CredentialSocket, GIT_CREDENTIAL_PATH, serveCredentialSocket } from './credential-socket.ts';

let root: string;
let socket: CredentialSocket;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'warren-git-socket-'));
  mkdirSync(join(root, 'run', 'ws'), { recursive: true, mode: 0o700 });
  socket = serveCredentialSocket(join(root, 'run', 'ws', 'git.sock'), async () => {
    throw new Error('a bug with a secret in its message: ghs_secret');
  });
});
afterAll(async () => {
  await socket.stop();
  rmSync(root, { recursive: true, force: true });
});

/** Sends raw bytes on the unix socket and returns the whole answer. */
function raw(bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    Bun.connect({
      unix: socket.path,
      socket: {
        open: (s) => void s.write(bytes),
        data: (s, chunk) => {
          out += chunk.toString('latin1');
          const end = out.indexOf('\r\n\r\n');
          const len = Number(/content-length: *(\d+)/i.exec(out)?.[1] ?? -1);
          if (end >= 0 && len >= 0 && out.length >= end + 4 + len) s.end();
        },
        close: () => resolve(out),
        error: (_s, e) => reject(e),
      },
    }).catch(reject);
  });
}

function body(out: string): unknown {
  return JSON.parse(out.slice(out.indexOf('\r\n\r\n') + 4));
}

describe('Credential socket', () => {
  it('answers an odd Host with a 400 in the error shape', async () => {
    const out = await raw(`POST ${GIT_CREDENTIAL_PATH} HTTP/1.1\r\nHost: a b\r\nContent-Length: 0\r\n\r\n`);
    expect(out).toStartWith('HTTP/1.1 400');
    expect(body(out)).toEqual({ error: { code: 'invalid_request', message: expect.any(String) } });
  });

  it('answers a handler that throws with a 500 in the error shape, without the message or source', async () => {
    const out = await raw(
      `POST ${GIT_CREDENTIAL_PATH} HTTP/1.1\r\nHost: warren\r\nContent-Length: 0\r\n\r\n`,
    );
    expect(out).toStartWith('HTTP/1.1 500');
    expect(body(out)).toEqual({ error: { code: 'internal', message: 'internal error' } });
    expect(out).not.toContain('ghs_secret');
    expect(out.toLowerCase()).not.toContain('<html');
  });
});
