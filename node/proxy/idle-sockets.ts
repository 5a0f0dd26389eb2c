// Idle keep-alive connections to upstreams, by `host:port`, for the next request to the same place; the raw front
// and UpstreamPool both keep theirs here.

/** What a pooled connection must offer: a graceful end, and a cut for one likely dead. */
export interface IdleSocket {
  end(): void;
  terminate(): void;
}

/** Idle connections kept per key; past this a finished one is closed: each idle one holds a socket of the app. */
export const MAX_IDLE_PER_KEY = 256;

/** Idle connections by key. The key is `host:port` (apps in network namespaces may share a port number). */
export class IdleSockets<S extends IdleSocket> {
  private readonly byKey = new Map<string, S[]>();

  constructor(private readonly maxPerKey = MAX_IDLE_PER_KEY) {}

  /** The connection to `key` parked last (the warmest), taken out of the pool; undefined when none is idle. */
  take(key: string): S | undefined {
    return this.byKey.get(key)?.pop();
  }

  /** Parks `sock` under `key` for the next request; when `key` already has its fill, `sock` is ended instead. */
  park(key: string, sock: S): void {
    let list = this.byKey.get(key);
    if (!list) {
      list = [];
      this.byKey.set(key, list);
    }
    if (list.length < this.maxPerKey) list.push(sock);
    else sock.end();
  }

  /** Forgets `sock` (it closed while parked); nothing when it is not parked. */
  remove(key: string, sock: S): void {
    const list = this.byKey.get(key);
    const i = list ? list.indexOf(sock) : -1;
    if (i >= 0) list!.splice(i, 1);
  }

  /** Cuts every idle connection to `key` (after one failed: they are likely as dead as it was). */
  drop(key: string): void {
    const list = this.byKey.get(key) ?? [];
    this.byKey.delete(key);
    for (const s of list) s.terminate();
  }

  /** Ends every idle connection. */
  close(): void {
    const lists = [...this.byKey.values()];
    this.byKey.clear();
    for (const list of lists) for (const s of list) s.end();
  }
}
