// A terminal's recent output: a bounded ring of the bytes the shell printed, replayed to a client that reattaches.

/**
 * Keeps the last `limit` bytes of output as the chunks the PTY delivered (no copy per write). When the oldest
 * chunk must be cut, the cut moves forward to just past the next newline in it, so a replay starts at the
 * beginning of a line instead of in the middle of a UTF-8 sequence or an escape sequence.
 */
export class Scrollback {
  private chunks: Uint8Array[] = [];
  private bytes = 0;

  constructor(private readonly limit: number) {
    if (!(limit > 0)) throw new RangeError('scrollback limit must be positive');
  }

  /** How many bytes are kept. */
  get size(): number {
    return this.bytes;
  }

  append(data: Uint8Array): void {
    if (data.length === 0) return;
    // Bun may reuse the buffer it hands the data callback: keep a copy.
    this.chunks.push(data.slice());
    this.bytes += data.length;
    while (this.bytes > this.limit) {
      const first = this.chunks[0]!;
      const over = this.bytes - this.limit;
      if (first.length <= over) {
        this.chunks.shift();
        this.bytes -= first.length;
        continue;
      }
      const nl = first.indexOf(10, over);
      const cut = nl >= 0 ? nl + 1 : over;
      this.chunks[0] = first.subarray(cut);
      this.bytes -= cut;
      if (this.chunks[0].length === 0) this.chunks.shift();
    }
  }

  /** Everything kept, oldest first, as one buffer. */
  snapshot(): Uint8Array {
    const out = new Uint8Array(this.bytes);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}
