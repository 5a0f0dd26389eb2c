// The hosting node's workspace WebSockets (`/w/{id}/_agent`, `/_logs`…): their addresses, which carry the token in
// the query (a browser cannot set headers on a WebSocket), and a ref that closes one with its component.
import type { RefObject } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import { api, must } from './api.ts';

/**
 * A short-lived token of one scope for the workspace's node socket, with the node to open it on; throws
 * `notPlaced` (shown to the person) when the workspace is on no node yet.
 */
export async function mintNodeAccess(
  workspaceId: string,
  scope: 'agent' | 'logs' | 'terminal',
  notPlaced: string,
): Promise<{ token: string; nodeUrl: string }> {
  const minted = await must(
    api.POST('/api/v1/workspaces/{id}/tokens', {
      params: { path: { id: workspaceId } },
      body: { scopes: [scope] },
    }),
  );
  if (!minted.nodeUrl) throw new Error(notPlaced);
  return { token: minted.token, nodeUrl: minted.nodeUrl };
}

/** ws(s)://node/w/{id}/{endpoint}?…&token=… from the node's http(s) address. */
export function nodeSocketUrl(
  nodeUrl: string,
  workspaceId: string,
  endpoint: '_agent' | '_logs' | '_terminal',
  token: string,
  params: Record<string, string> = {},
): string {
  const u = new URL(`${nodeUrl.replace(/\/$/, '')}/w/${encodeURIComponent(workspaceId)}/${endpoint}`);
  u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
  u.searchParams.set('token', token);
  return u.toString();
}

/** A ref for a component's WebSocket to a node, closed normally (1000) when the component goes away. */
export function useNodeSocket(): RefObject<WebSocket | undefined> {
  const socket = useRef<WebSocket | undefined>(undefined);
  useEffect(
    () => () => {
      const ws = socket.current;
      socket.current = undefined;
      ws?.close(1000);
    },
    [],
  );
  return socket;
}
