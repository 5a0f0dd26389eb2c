// `/w/{id}/_logs` (`logs` scope): the last lines of a workspace's app and agent output, and a live tail.
import type { ServerWebSocket } from 'bun';
import { LOG_TAIL_MAX } from '../../contract/index.ts';
import type { Runtime } from '../workspaces/index.ts';
import { errorResponse } from './responses.ts';
import type { LogsData, SocketData } from './socket-data.ts';

/** Lines sent when `?tail=` is not given. */
const DEFAULT_TAIL = 200;

/** `?tail=N`: a whole number up to LOG_TAIL_MAX; undefined when it is not one. */
export function tailParam(search: string): number | undefined {
  const raw = new URLSearchParams(search).get('tail');
  if (raw === null) return DEFAULT_TAIL;
  const n = Number(raw);
  return /^\d+$/.test(raw) && n <= LOG_TAIL_MAX ? n : undefined;
}

export function badTail(): Response {
  return errorResponse('invalid_request', `tail must be a whole number from 0 to ${LOG_TAIL_MAX}`);
}

/** `GET /_logs?tail=N`: `{ lines }`, oldest first. */
export function logTail(runtime: Runtime, req: Request, workspaceId: string, tail: number): Response {
  if (req.method !== 'GET') return errorResponse('method_not_allowed', 'use GET');
  return Response.json(
    { lines: runtime.logs.tail(workspaceId, tail) },
    { headers: { 'cache-control': 'no-store' } },
  );
}

/**
 * The WebSocket: first the last `tail` lines, then each new line as it is kept, one JSON LogLine per text frame.
 * Following starts and the tail is read in the same turn of the event loop, so no line falls between the two or
 * comes twice.
 */
export function openLogSocket(ws: ServerWebSocket<SocketData> & { data: LogsData }, runtime: Runtime): void {
  const d = ws.data;
  d.unfollow = runtime.logs.follow(d.workspaceId, (line) => ws.send(JSON.stringify(line)));
  for (const line of runtime.logs.tail(d.workspaceId, d.tail)) ws.send(JSON.stringify(line));
}
