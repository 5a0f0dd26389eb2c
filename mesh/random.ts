// The injected source of randomness: seeded and deterministic in the simulator, Math.random in production.

/** Uniform numbers in [0, 1). */
export interface Random {
  next(): number;
}

/** Math.random: fine for probe order and gossip targets, never for secrets. */
export const systemRandom: Random = { next: () => Math.random() };

/** A small, fast seeded generator (sfc32) so a simulation replays exactly from its seed. */
export function createSeededRandom(seed: number): Random {
  let a = 0x9e3779b9 ^ seed;
  let b = 0x243f6a88 ^ (seed * 31);
  let c = 0xb7e15162 ^ (seed * 17);
  let d = 1 ^ seed;
  const next = (): number => {
    a |= 0;
    b |= 0;
    c |= 0;
    d |= 0;
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 16; i++) next();
  return { next };
}

/** A uniform integer in [0, n). */
export function randomIndex(random: Random, n: number): number {
  return Math.floor(random.next() * n);
}

/** Shuffles `items` in place (Fisher–Yates) and returns it. */
export function shuffle<T>(random: Random, items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = randomIndex(random, i + 1);
    const tmp = items[i] as T;
    items[i] = items[j] as T;
    items[j] = tmp;
  }
  return items;
}

/** Up to `k` distinct items chosen uniformly from `items` (which is not modified). */
export function sample<T>(random: Random, items: readonly T[], k: number): T[] {
  if (items.length <= k) return shuffle(random, [...items]);
  const picked = new Set<number>();
  const out: T[] = [];
  while (out.length < k) {
    const i = randomIndex(random, items.length);
    if (picked.has(i)) continue;
    picked.add(i);
    out.push(items[i] as T);
  }
  return out;
}
