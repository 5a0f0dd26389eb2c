// Reads by key that go together under load: while one read is on the wire, the keys asked for meanwhile wait and
// then go as one read. On sqld every read is an HTTP round trip (about 1.5 ms here, and a few hundred a second
// per connection's worth of CPU), so concurrent token mints for different workspaces were bound by round trips;
// on a file, or when nothing else is asked, each read still goes at once and alone.

/** Most keys in one read; more wait for the next. */
const MAX_KEYS = 100;

/**
 * A lookup of one key through `readMany`, which answers a map of the keys it found (a key it leaves out reads as
 * undefined). A failed read fails every lookup that went with it; the ones queued behind it go on.
 */
export function coalescedReads<K, V>(
  readMany: (keys: K[]) => Promise<Map<K, V>>,
): (key: K) => Promise<V | undefined> {
  const waiting = new Map<K, { resolve: (v: V | undefined) => void; reject: (e: unknown) => void }[]>();
  let reading = false;
  const drain = async () => {
    reading = true;
    while (waiting.size > 0) {
      const group = new Map<K, { resolve: (v: V | undefined) => void; reject: (e: unknown) => void }[]>();
      for (const [key, callers] of waiting) {
        if (group.size >= MAX_KEYS) break;
        group.set(key, callers);
      }
      for (const key of group.keys()) waiting.delete(key);
      try {
        const found = await readMany([...group.keys()]);
        for (const [key, callers] of group) for (const c of callers) c.resolve(found.get(key));
      } catch (e) {
        for (const callers of group.values()) for (const c of callers) c.reject(e);
      }
    }
    reading = false;
  };
  return (key) =>
    new Promise<V | undefined>((resolve, reject) => {
      const callers = waiting.get(key);
      if (callers) callers.push({ resolve, reject });
      else waiting.set(key, [{ resolve, reject }]);
      if (!reading) void drain();
    });
}
