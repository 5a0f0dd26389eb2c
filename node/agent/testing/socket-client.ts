// A WebSocket client for agent tests: collects server messages and waits on conditions with a deadline.
import * as v from 'valibot';
import { type AgentClientMessage, AgentServerMessage } from '../../../contract/index.ts';

export class AgentSocketClient {
  readonly messages: AgentServerMessage[] = [];
  closed?: { code: number; reason: string };
  private constructor(private readonly ws: WebSocket) {
    ws.onmessage = (e) => this.messages.push(v.parse(AgentServerMessage, JSON.parse(String(e.data))));
    ws.onclose = (e) => {
      this.closed = { code: e.code, reason: e.reason };
    };
  }

  /** Connects and waits until the socket is open. */
  static async connect(url: string): Promise<AgentSocketClient> {
    const ws = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      ws.onopen = () => resolve();
      ws.onerror = () => reject(new Error(`cannot connect to ${url}`));
    });
    return new AgentSocketClient(ws);
  }

  send(m: AgentClientMessage | Record<string, unknown> | string): void {
    this.ws.send(typeof m === 'string' ? m : JSON.stringify(m));
  }

  /** Transcript events received so far, in arrival order. */
  events() {
    return this.messages.flatMap((m) => (m.type === 'event' ? [m] : []));
  }

  /** The agent's text for one prompt: its agent_message_chunk updates joined. */
  textOf(promptId: string): string {
    return this.events()
      .flatMap((e) =>
        e.data.kind === 'update' &&
        e.data.promptId === promptId &&
        e.data.update.sessionUpdate === 'agent_message_chunk'
          ? [String((e.data.update.content as { text?: string })?.text ?? '')]
          : [],
      )
      .join('');
  }

  /** Waits until `check` returns something truthy (polling), or throws after `timeoutMs`. */
  async waitFor<T>(check: (c: this) => T, what: string, timeoutMs = 10_000): Promise<NonNullable<T>> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const r = check(this);
      if (r) return r as NonNullable<T>;
      await Bun.sleep(5);
    }
    throw new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.messages.slice(-5))}`);
  }

  close(): void {
    this.ws.close();
  }
}
