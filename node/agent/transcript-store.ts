// Agent session transcripts on a libSQL file in the node's data dir: events numbered per session from 1
// without gaps, so a client that saw up to `seq` can get exactly what it missed.
import { type Client, createClient } from '@libsql/client';
import * as v from 'valibot';
import { type AgentEvent, AgentEventData, ftsQuery } from '../../contract/index.ts';
import { createDatabaseFile } from '../../disk/index.ts';

/** File name of the transcript database inside the node's data dir. */
export const TRANSCRIPT_DB_FILE = 'agent-transcripts.db';

export interface TranscriptStore {
  /** Appends one event and returns it with its sequence number; appends to one session are ordered. */
  append(sessionId: string, data: AgentEvent['data'], at?: number): Promise<AgentEvent>;
  /** Events of `sessionId` with `seq > afterSeq`, oldest first, at most `limit`. */
  after(sessionId: string, afterSeq: number, limit?: number): Promise<AgentEvent[]>;
  /** Indexes one finished turn (its prompt and the agent's text) for search. */
  indexTurn(sessionId: string, promptId: string, prompt: string, text: string): Promise<void>;
  /** Turns whose prompt or agent text hold every term of `q` (taken literally), newest first. */
  search(q: string, options?: { sessionId?: string; limit?: number }): Promise<TranscriptHit[]>;
  /** The highest sequence number of `sessionId` (0 when it has none). */
  lastSeq(sessionId: string): Promise<number>;
  close(): void;
}

/** One turn found by a search; `snippet` marks matches with « and ». */
export interface TranscriptHit {
  sessionId: string;
  promptId: string;
  snippet: string;
}

const SETUP = [
  `CREATE TABLE IF NOT EXISTS agent_events (
     session_id TEXT NOT NULL,
     seq INTEGER NOT NULL,
     at INTEGER NOT NULL,
     kind TEXT NOT NULL,
     data TEXT NOT NULL,
     PRIMARY KEY (session_id, seq)
   ) WITHOUT ROWID`,
  `CREATE VIRTUAL TABLE IF NOT EXISTS agent_turn_search
     USING fts5(session_id UNINDEXED, prompt_id UNINDEXED, prompt, text)`,
];

/** Opens (creating if needed) the transcript store at `path` (a file path, or `:memory:`). */
export async function openTranscriptStore(path: string): Promise<TranscriptStore> {
  if (path !== ':memory:') createDatabaseFile(path);
  const client: Client = createClient({ url: `file:${path}` });
  if (path !== ':memory:') {
    await client.execute('PRAGMA journal_mode = WAL');
    await client.execute('PRAGMA busy_timeout = 5000');
  }
  for (const sql of SETUP) await client.execute(sql);
  // One writer chain: the next number is read and written in one statement, and statements run in order.
  let chain: Promise<unknown> = Promise.resolve();

  const rowToEvent = (row: Record<string, unknown>): AgentEvent | undefined => {
    const data = v.safeParse(AgentEventData, JSON.parse(String(row.data)));
    return data.success ? { seq: Number(row.seq), at: Number(row.at), data: data.output } : undefined;
  };

  return {
    append(sessionId, data, at = Date.now()) {
      const next = chain.then(async () => {
        const r = await client.execute({
          sql: `INSERT INTO agent_events (session_id, seq, at, kind, data)
                SELECT ?, COALESCE(MAX(seq), 0) + 1, ?, ?, ? FROM agent_events WHERE session_id = ?
                RETURNING seq`,
          args: [sessionId, at, data.kind, JSON.stringify(data), sessionId],
        });
        return { seq: Number(r.rows[0]?.seq), at, data } satisfies AgentEvent;
      });
      chain = next.catch(() => undefined);
      return next;
    },
    async after(sessionId, afterSeq, limit = 10_000) {
      const r = await client.execute({
        sql: 'SELECT seq, at, data FROM agent_events WHERE session_id = ? AND seq > ? ORDER BY seq LIMIT ?',
        args: [sessionId, afterSeq, limit],
      });
      return r.rows.flatMap((row) => rowToEvent(row) ?? []);
    },
    async indexTurn(sessionId, promptId, prompt, text) {
      await client.execute({
        sql: 'INSERT INTO agent_turn_search (session_id, prompt_id, prompt, text) VALUES (?, ?, ?, ?)',
        args: [sessionId, promptId, prompt, text],
      });
    },
    async search(q, options = {}) {
      const match = ftsQuery(q);
      if (match === undefined) return [];
      const scoped = options.sessionId !== undefined;
      const r = await client.execute({
        sql: `SELECT session_id, prompt_id, snippet(agent_turn_search, -1, '«', '»', '…', 16) AS snippet
              FROM agent_turn_search WHERE agent_turn_search MATCH ?${scoped ? ' AND session_id = ?' : ''}
              ORDER BY rowid DESC LIMIT ?`,
        args: [match, ...(scoped ? [options.sessionId as string] : []), options.limit ?? 50],
      });
      return r.rows.map((row) => ({
        sessionId: String(row.session_id),
        promptId: String(row.prompt_id),
        snippet: String(row.snippet),
      }));
    },
    async lastSeq(sessionId) {
      const r = await client.execute({
        sql: 'SELECT COALESCE(MAX(seq), 0) AS n FROM agent_events WHERE session_id = ?',
        args: [sessionId],
      });
      return Number(r.rows[0]?.n ?? 0);
    },
    close: () => client.close(),
  };
}
