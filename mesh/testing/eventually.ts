// Waiting on a condition with a deadline: tests never sleep a fixed time. The one `eventually` of every test.

/**
 * Polls `check` until it returns a value other than undefined, null or false, or throws after `timeoutMs`. A
 * check that throws is retried (a request that fails now may succeed later); the last error is in the timeout's
 * message.
 */
export async function eventually<T>(
  check: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  what = 'condition',
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let delay = 5;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== null && v !== false) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`,
      );
    }
    await Bun.sleep(delay);
    delay = Math.min(delay * 2, 100);
  }
}
