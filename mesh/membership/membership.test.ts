// Membership across a cluster on the MemoryNetwork: detection, refutation, leave, rejoin, loss.
import { describe, expect, it } from 'bun:test';
import type { MeshNode } from '../node.ts';
import { cluster } from '../testing/index.ts';

const stateOf = (n: MeshNode, id: string) => n.member(id)?.state;
const allSee = (nodes: MeshNode[], id: string, state: string) =>
  nodes.every((n) => n.id === id || stateOf(n, id) === state);

async function converged(size: number, seed: number, loss = 0) {
  const c = await cluster({ size, seed, loss });
  const ok = await c.until(
    () => c.live().every((n) => n.members().filter((m) => m.state === 'alive').length === size),
    20_000,
  );
  expect(ok).toBe(true);
  return c;
}

describe('Membership', () => {
  it('suspects and then declares dead a killed member at every other member', async () => {
    const c = await converged(6, 11);
    const victim = c.identities[3]?.origin as string;
    await c.kill(3);
    expect(
      await c.until(() => allSee(c.live(), victim, 'suspect') || allSee(c.live(), victim, 'dead'), 5000),
    ).toBe(true);
    expect(await c.until(() => allSee(c.live(), victim, 'dead'), 20_000)).toBe(true);
    expect(c.live().reduce((s, n) => s + n.metrics.deaths, 0)).toBeGreaterThan(0);
  });

  it('survives an isolation shorter than the suspicion timeout: suspected, refuted, never dead', async () => {
    const c = await converged(6, 12);
    const victim = c.identities[2];
    const others = c.identities.filter((x) => x !== victim).map((x) => x.address);
    c.network.partition([victim?.address as string], others);
    // Long enough to be probed and suspected, shorter than the minimum suspicion timeout (4·log10(6)·100 ms).
    expect(
      await c.until(() => c.live().some((n) => stateOf(n, victim?.origin as string) === 'suspect'), 2000),
    ).toBe(true);
    c.network.heal();
    expect(await c.until(() => allSee(c.live(), victim?.origin as string, 'alive'), 5000)).toBe(true);
    await c.run(5000);
    expect(c.live().reduce((s, n) => s + n.metrics.deaths, 0)).toBe(0);
    expect(c.nodes[2]?.metrics.refutations).toBeGreaterThan(0);
  });

  it('marks a member that leaves gracefully as left everywhere, without suspicion', async () => {
    const c = await converged(5, 13);
    const leaver = c.nodes[4] as MeshNode;
    leaver.leave();
    await c.run(50);
    await c.kill(4);
    expect(await c.until(() => allSee(c.live(), leaver.id, 'left'), 5000)).toBe(true);
    expect(c.live().reduce((s, n) => s + n.metrics.deaths, 0)).toBe(0);
  });

  it('takes a restarted member back at a higher incarnation', async () => {
    const c = await converged(5, 14);
    const id = c.identities[2]?.origin as string;
    const before = c.nodes[0]?.member(id)?.incarnation as number;
    await c.kill(2);
    expect(await c.until(() => allSee(c.live(), id, 'dead'), 20_000)).toBe(true);
    await c.restart(2);
    expect(await c.until(() => allSee(c.live(), id, 'alive'), 10_000)).toBe(true);
    expect(c.nodes[0]?.member(id)?.incarnation).toBeGreaterThan(before);
  });

  it('declares no false death under 10 % packet loss over ten simulated minutes', async () => {
    const c = await converged(8, 15, 0.1);
    await c.run(10 * 60_000);
    const deaths = c.live().reduce((s, n) => s + n.metrics.deaths, 0);
    expect(deaths).toBe(0);
    expect(c.live().every((n) => n.members().every((m) => m.state === 'alive'))).toBe(true);
    // 60,000 fake-clock steps: seconds of real time, more on a loaded CI machine.
  }, 60_000);
});
