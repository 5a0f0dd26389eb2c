// Closers: the node's one last-in-first-out list of what to undo, drained by a failed start and by stop().

/** Something started that must be undone, named for the log. */
interface Closer {
  readonly name: string;
  readonly close: () => unknown;
}

/**
 * Every part registers its closer right after it has started; `drain()` runs them newest first, each once. A
 * closer that fails is logged and the rest still run: a part left running is worse than a noisy stop.
 */
export class Closers {
  private readonly list: Closer[] = [];
  private draining: Promise<void> | undefined;

  constructor(private readonly log: (line: string) => void) {}

  /** Registers `close` to run when the node stops (or its start fails), before everything added earlier. */
  add(name: string, close: () => unknown): void {
    this.list.push({ name, close });
  }

  /** How many closers are waiting (for tests). */
  get size(): number {
    return this.list.length;
  }

  /** Runs every closer once, newest first; a second call waits for the first. Never throws. */
  drain(): Promise<void> {
    this.draining ??= this.run();
    return this.draining;
  }

  private async run(): Promise<void> {
    for (let c = this.list.pop(); c; c = this.list.pop()) {
      try {
        await c.close();
      } catch (e) {
        this.log(`closing ${c.name} failed: ${(e as Error).message}`);
      }
    }
  }
}
