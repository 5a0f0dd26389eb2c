// The exact bytes of a request body, read once: a node proof digests them, the route still gets the parsed JSON.

/** Bytes of bodies read so far, by request; a request that is gone takes its entry with it. */
const kept = new WeakMap<Request, Uint8Array<ArrayBuffer>>();

/**
 * Elysia `parse` hook for routes a node calls with a JSON body: reads the body once, keeps its bytes for
 * {@link bodyBytes} and answers the parsed JSON (a body that is not JSON is Elysia's 400 parse error). Like the
 * GitHub webhook route, which reads the unparsed body itself, it digests what was received, not a re-encoding.
 */
export async function parseKeepingBytes({ request }: { request: Request }): Promise<unknown> {
  const bytes = new Uint8Array(await request.arrayBuffer());
  kept.set(request, bytes);
  return bytes.length === 0 ? undefined : JSON.parse(new TextDecoder().decode(bytes));
}

/**
 * The `parse` option of a route a node calls with a JSON body: {@link parseKeepingBytes} reads it; `json` after it
 * never runs on a body (the first parser took it) but tells the OpenAPI document the body is application/json.
 */
export const keepBodyBytes: [typeof parseKeepingBytes, 'json'] = [parseKeepingBytes, 'json'];

/**
 * The body bytes of `request`: those {@link parseKeepingBytes} kept, else read now (a route without a body
 * schema leaves the body unread). A body someone else parsed cannot be digested: that is a wiring bug, and it
 * throws rather than pass a proof over bytes nobody saw.
 */
export async function bodyBytes(request: Request): Promise<Uint8Array<ArrayBuffer>> {
  const known = kept.get(request);
  if (known) return known;
  if (request.bodyUsed)
    throw new Error('the request body was parsed without keeping its bytes (parseKeepingBytes)');
  const bytes = new Uint8Array(await request.arrayBuffer());
  kept.set(request, bytes);
  return bytes;
}
