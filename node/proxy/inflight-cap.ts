// InflightCap: a per-host bound on forwards waiting for an answer, so one stuck host cannot hold them all.

/** Counts forwards in flight per host and refuses past `limit`. */
export class InflightCap {
  private readonly counts = new Map<string, number>();

  constructor(private readonly limit: number) {}

  /** Takes a slot for `host`; false when it already has `limit` in flight. Every true needs one release. */
  acquire(host: string): boolean {
    const n = this.counts.get(host) ?? 0;
    if (n >= this.limit) return false;
    this.counts.set(host, n + 1);
    return true;
  }

  release(host: string): void {
    const n = (this.counts.get(host) ?? 0) - 1;
    if (n <= 0) this.counts.delete(host);
    else this.counts.set(host, n);
  }

  inFlight(host: string): number {
    return this.counts.get(host) ?? 0;
  }
}
