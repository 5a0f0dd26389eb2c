// Newline-delimited JSON-RPC 2.0 over a byte stream pair (an agent's stdin/stdout): requests with
// deadlines, notifications, and answers to the agent's own requests. Malformed lines are counted and dropped.
import * as v from 'valibot';
import { JsonRpcMessage, RPC_METHOD_NOT_FOUND } from './acp-schema.ts';

/** Why a request did not get a result. `timeout`: no answer by the deadline; `closed`: the stream ended. */
export class RpcError extends Error {
  constructor(
    readonly code: 'timeout' | 'closed' | 'remote',
    message: string,
    readonly rpcCode?: number,
  ) {
    super(message);
    this.name = 'RpcError';
  }
}

export interface JsonRpcHandlers {
  /** A notification from the peer. */
  notification(method: string, params: unknown): void;
  /** A request from the peer; throw `RpcError('remote', …, code)` to answer with an error. */
  request(method: string, params: unknown): Promise<unknown> | unknown;
  /** Called for every well-formed message the peer sends (liveness). */
  activity?(): void;
}

interface Pending {
  resolve(result: unknown): void;
  reject(error: RpcError): void;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/** Longest line accepted from the peer (16 MiB); a longer one is dropped, never buffered without bound. */
const MAX_LINE = 16 * 1024 * 1024;

export class JsonRpcConnection {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private buffer = '';
  private closed = false;
  /** Lines that were not valid JSON-RPC. */
  malformed = 0;

  constructor(
    private readonly write: (line: string) => void,
    private readonly handlers: JsonRpcHandlers,
  ) {}

  /** Feeds decoded text from the peer's output. */
  feed(text: string): void {
    this.buffer += text;
    let nl = this.buffer.indexOf('\n');
    while (nl >= 0) {
      const line = this.buffer.slice(0, nl).trim();
      this.buffer = this.buffer.slice(nl + 1);
      if (line) this.receive(line);
      nl = this.buffer.indexOf('\n');
    }
    if (this.buffer.length > MAX_LINE) {
      this.buffer = '';
      this.malformed++;
    }
  }

  /** Sends a request; rejects with `RpcError` on an error answer, at `timeoutMs` (null: none), or on close. */
  request(method: string, params: unknown, timeoutMs: number | null): Promise<unknown> {
    if (this.closed) return Promise.reject(new RpcError('closed', 'connection closed'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer =
        timeoutMs === null
          ? undefined
          : setTimeout(() => {
              this.pending.delete(id);
              reject(new RpcError('timeout', `${method}: no answer within ${timeoutMs} ms`));
            }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.send({ jsonrpc: '2.0', id, method, params });
    });
  }

  notify(method: string, params: unknown): void {
    if (!this.closed) this.send({ jsonrpc: '2.0', method, params });
  }

  /** Ends the connection: every pending request rejects with `closed`. */
  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    for (const [id, p] of this.pending) {
      if (p.timer) clearTimeout(p.timer);
      p.reject(new RpcError('closed', reason));
      this.pending.delete(id);
    }
  }

  private send(message: unknown): void {
    try {
      this.write(`${JSON.stringify(message)}\n`);
    } catch {
      // The peer is gone; its exit handler closes this connection.
    }
  }

  private receive(line: string): void {
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      this.malformed++;
      return;
    }
    const parsed = v.safeParse(JsonRpcMessage, raw);
    if (!parsed.success) {
      this.malformed++;
      return;
    }
    this.handlers.activity?.();
    const m = parsed.output;
    if ('method' in m) {
      if ('id' in m) void this.answer(m.id, m.method, m.params);
      else this.handlers.notification(m.method, m.params);
      return;
    }
    if (typeof m.id !== 'number') return;
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    if (p.timer) clearTimeout(p.timer);
    if ('error' in m) p.reject(new RpcError('remote', m.error.message, m.error.code));
    else p.resolve(m.result);
  }

  private async answer(id: string | number, method: string, params: unknown): Promise<void> {
    try {
      const result = await this.handlers.request(method, params);
      this.send({ jsonrpc: '2.0', id, result: result ?? null });
    } catch (e) {
      const code = e instanceof RpcError && e.rpcCode !== undefined ? e.rpcCode : RPC_METHOD_NOT_FOUND;
      this.send({ jsonrpc: '2.0', id, error: { code, message: (e as Error).message } });
    }
  }
}
