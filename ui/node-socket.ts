// Addresses of the hosting node's workspace WebSockets (`/w/{id}/_agent`, `/_logs`…), which take their token in
// the query: a browser cannot set headers on a WebSocket.

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
