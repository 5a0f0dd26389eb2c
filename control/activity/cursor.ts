// Activity cursors: opaque, bound to their workspace by an HMAC, so a cursor from another workspace or a
// tampered one is refused without revealing anything about other workspaces.
import { createHmac, timingSafeEqual } from 'node:crypto';

/** What a cursor carries: the workspace it belongs to, the event id, and the event's time (ms). */
export interface CursorPosition {
  workspaceId: string;
  id: number;
  at: number;
}

/** `base64url(JSON [workspaceId, id, at]) . base64url(HMAC-SHA256)`, 16 bytes of MAC. */
export function encodeCursor(key: Uint8Array, position: CursorPosition): string {
  const body = Buffer.from(JSON.stringify([position.workspaceId, position.id, position.at])).toString(
    'base64url',
  );
  return `${body}.${mac(key, body)}`;
}

/**
 * The position in `cursor` if its MAC holds and it belongs to `workspaceId`; otherwise undefined. A foreign
 * cursor and a tampered one look the same to the caller.
 */
export function decodeCursor(
  key: Uint8Array,
  workspaceId: string,
  cursor: string,
): CursorPosition | undefined {
  const dot = cursor.indexOf('.');
  if (dot <= 0 || cursor.length > 512) return undefined;
  const body = cursor.slice(0, dot);
  const given = Buffer.from(cursor.slice(dot + 1), 'base64url');
  const expected = Buffer.from(mac(key, body), 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed) || parsed.length !== 3) return undefined;
  const [w, id, at] = parsed as unknown[];
  if (w !== workspaceId || !Number.isSafeInteger(id) || typeof at !== 'number') return undefined;
  return { workspaceId: w, id: id as number, at };
}

function mac(key: Uint8Array, body: string): string {
  return createHmac('sha256', key)
    .update('warren-activity-cursor\0')
    .update(body)
    .digest()
    .subarray(0, 16)
    .toString('base64url');
}
