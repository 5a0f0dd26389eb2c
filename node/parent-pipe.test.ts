// watchParentPipe on streams the test controls: the end of the pipe is the parent's death, nothing else is.
import { describe, expect, it } from 'bun:test';
import { watchParentPipe } from './parent-pipe.ts';

function pipe() {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const stream = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
    },
  });
  return { stream, controller };
}

const settledWithin = (p: Promise<void>, ms: number) =>
  Promise.race([p.then(() => true), Bun.sleep(ms).then(() => false)]);

describe('Parent pipe', () => {
  it('reports the parent gone when the pipe ends, not when it carries bytes', async () => {
    const { stream, controller } = pipe();
    const parent = watchParentPipe(stream);
    controller.enqueue(new Uint8Array([1, 2, 3]));
    expect(await settledWithin(parent.closed, 50)).toBe(false);
    controller.close();
    expect(await settledWithin(parent.closed, 1_000)).toBe(true);
  });

  it('reports the parent gone when the pipe fails', async () => {
    const { stream, controller } = pipe();
    const parent = watchParentPipe(stream);
    controller.error(new Error('ECONNRESET'));
    expect(await settledWithin(parent.closed, 1_000)).toBe(true);
  });

  it('says nothing once stopped, whatever the pipe does after', async () => {
    const { stream } = pipe();
    const parent = watchParentPipe(stream);
    parent.stop();
    expect(await settledWithin(parent.closed, 100)).toBe(false);
  });
});
