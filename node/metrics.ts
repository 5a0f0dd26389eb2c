// Counters the node exposes on /metrics in the Prometheus text format.

/** Monotonic counters with optional labels; rendering is cheap and happens only on scrape. */
export class Metrics {
  private readonly counters = new Map<string, number>();
  private readonly help = new Map<string, string>();
  private readonly gauges: (() => string)[] = [];

  /** Adds `n` to counter `name{labels}`. `key` is the full series name, built once by the caller. */
  inc(key: string, n = 1): void {
    this.counters.set(key, (this.counters.get(key) ?? 0) + n);
  }

  describe(name: string, help: string): void {
    this.help.set(name, help);
  }

  /** Registers a function that renders gauge lines at scrape time. */
  gauge(render: () => string): void {
    this.gauges.push(render);
  }

  render(): string {
    const lines: string[] = [];
    const byName = new Map<string, string[]>();
    for (const [key, value] of this.counters) {
      const name = key.split('{')[0]!;
      const list = byName.get(name) ?? [];
      list.push(`${key} ${value}`);
      byName.set(name, list);
    }
    for (const [name, series] of byName) {
      const h = this.help.get(name);
      if (h) lines.push(`# HELP ${name} ${h}`);
      lines.push(`# TYPE ${name} counter`, ...series);
    }
    for (const g of this.gauges) lines.push(g());
    return `${lines.join('\n')}\n`;
  }
}
