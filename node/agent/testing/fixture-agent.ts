// A small ACP agent for tests (run with `bun`): echoes each prompt as streamed agent_message_chunk updates,
// and obeys commands in the prompt text: `/crash` exits mid-turn, `/hang` stops answering anything,
// `/slow N words…` streams one word every N ms (and honours session/cancel), `/child` starts a
// long-lived child process and reports its pid, `/deny` asks for a permission first, `/edit PATH words…` writes
// the words (and a newline) to PATH under its working directory, as an agent changing a repository does.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';

type Json = Record<string, unknown>;
const send = (m: Json) => process.stdout.write(`${JSON.stringify({ jsonrpc: '2.0', ...m })}\n`);
let hung = false;
let nextSession = 1;
let nextRequest = 1_000_000;
const cancelled = new Set<string>();
const answers = new Map<number, (result: unknown) => void>();

const chunk = (sessionId: string, text: string) =>
  send({
    method: 'session/update',
    params: { sessionId, update: { sessionUpdate: 'agent_message_chunk', content: { type: 'text', text } } },
  });

async function prompt(id: number, sessionId: string, text: string) {
  cancelled.delete(sessionId);
  const [cmd, arg, ...rest] = text.trim().split(/\s+/);
  if (cmd === '/crash') {
    chunk(sessionId, 'about to crash');
    process.exit(3);
  }
  if (cmd === '/hang') {
    chunk(sessionId, 'hanging');
    hung = true;
    return;
  }
  if (cmd === '/edit' && arg) {
    const path = join(process.cwd(), arg);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, `${rest.join(' ')}\n`);
    chunk(sessionId, `edited ${arg}`);
    return send({ id, result: { stopReason: 'end_turn' } });
  }
  if (cmd === '/child') {
    const child = Bun.spawn(['sleep', '600'], { stdio: ['ignore', 'ignore', 'ignore'] });
    chunk(sessionId, `child ${child.pid}`);
    return send({ id, result: { stopReason: 'end_turn' } });
  }
  if (cmd === '/permission') {
    const rid = nextRequest++;
    const answer = new Promise((resolve) => answers.set(rid, resolve));
    send({
      id: rid,
      method: 'session/request_permission',
      params: {
        sessionId,
        toolCall: { toolCallId: 't1', title: 'write a file' },
        options: [
          { optionId: 'yes', name: 'Allow', kind: 'allow_once' },
          { optionId: 'no', name: 'Reject', kind: 'reject_once' },
        ],
      },
    });
    chunk(sessionId, `permission ${JSON.stringify(await answer)}`);
    return send({ id, result: { stopReason: 'end_turn' } });
  }
  const delay = cmd === '/slow' ? Number(arg) : 0;
  const words = cmd === '/slow' ? rest : ['echo:', ...text.split(/\s+/)];
  for (const [i, w] of words.entries()) {
    if (cancelled.has(sessionId)) return send({ id, result: { stopReason: 'cancelled' } });
    chunk(sessionId, i === 0 ? w : ` ${w}`);
    if (delay > 0) await Bun.sleep(delay);
  }
  if (cancelled.has(sessionId)) return send({ id, result: { stopReason: 'cancelled' } });
  send({ id, result: { stopReason: 'end_turn' } });
}

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  if (hung || !line.trim()) return;
  const m = JSON.parse(line) as { id?: number; method?: string; params?: Json; result?: unknown };
  if (m.method === undefined && typeof m.id === 'number') return answers.get(m.id)?.(m.result);
  const p = m.params ?? {};
  switch (m.method) {
    case 'initialize':
      return send({
        id: m.id,
        result: { protocolVersion: 1, agentCapabilities: { loadSession: false }, authMethods: [] },
      });
    case 'session/new':
      return send({ id: m.id, result: { sessionId: `fixture-${process.pid}-${nextSession++}` } });
    case 'session/prompt': {
      const blocks = (p.prompt as { type: string; text?: string }[]) ?? [];
      const text = blocks.map((b) => b.text ?? '').join('');
      return void prompt(m.id as number, String(p.sessionId), text);
    }
    case 'session/cancel':
      cancelled.add(String(p.sessionId));
      return;
    default:
      if (m.id !== undefined) send({ id: m.id, error: { code: -32601, message: 'method not found' } });
  }
});
lines.on('close', () => process.exit(0));
