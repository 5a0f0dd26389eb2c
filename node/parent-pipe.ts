// The pipe from the process that started this node (stdin): its end reaching EOF means that process is gone.
//
// Linux's PR_SET_PDEATHSIG is out of Bun's reach, so a node started by `warren up` learns of its parent's death
// another way. A pipe rather than polling `process.ppid`: the kernel closes the parent's end the moment the parent
// ends, however it ends (`kill -9`, a crash, an OOM kill), so there is no polling delay; it does not depend on who
// adopts an orphan (init, a subreaper, a container's pid 1); a recycled pid cannot fool it; and it works the same
// on macOS.

/** A parent's pipe being watched. */
export interface ParentPipe {
  /** Resolves once the pipe reached its end or failed: the parent is gone (never after `stop()`). */
  readonly closed: Promise<void>;
  /** Stops watching (the node stops for another reason) so the open pipe does not keep this process alive. */
  stop(): void;
}

/** Reads `stream` (the node's stdin) to its end, discarding what it gets; the parent never writes. */
export function watchParentPipe(stream: ReadableStream<Uint8Array>): ParentPipe {
  const reader = stream.getReader();
  let stopped = false;
  const closed = new Promise<void>((resolve) => {
    void (async () => {
      for (;;) {
        const r = await reader.read().catch(() => ({ done: true as const }));
        if (r.done) break;
      }
      if (!stopped) resolve();
    })();
  });
  return {
    closed,
    stop() {
      stopped = true;
      void reader.cancel().catch(() => {});
    },
  };
}
