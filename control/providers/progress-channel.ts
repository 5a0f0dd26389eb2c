// Turns progress callbacks into an async iterable, so a route can stream provisioning steps (SSE, NDJSON)
// while the pipeline runs.

export interface ProgressChannel<E> {
  /** Pass this as the pipeline's progress listener. */
  listener: (event: E) => void;
  /** Every event in order; ends after `close()`, throws after `fail()`. One consumer. */
  events: AsyncIterable<E>;
  close(): void;
  fail(error: unknown): void;
}

/** A buffered channel: events sent before the consumer starts are kept, in order. */
export function createProgressChannel<E>(): ProgressChannel<E> {
  const buffer: E[] = [];
  let ended = false;
  let failure: { error: unknown } | undefined;
  let wake: (() => void) | undefined;
  const notify = () => {
    wake?.();
    wake = undefined;
  };
  return {
    listener(event) {
      if (ended) return;
      buffer.push(event);
      notify();
    },
    close() {
      ended = true;
      notify();
    },
    fail(error) {
      failure = { error };
      ended = true;
      notify();
    },
    events: {
      async *[Symbol.asyncIterator]() {
        for (;;) {
          while (buffer.length > 0) yield buffer.shift() as E;
          if (failure) throw failure.error;
          if (ended) return;
          await new Promise<void>((r) => {
            wake = r;
          });
        }
      },
    },
  };
}
