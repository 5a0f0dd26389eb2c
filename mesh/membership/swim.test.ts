// The pure SWIM core, driven by hand: messages in, messages out, time as a number.
import { describe, expect, it } from 'bun:test';
import { generateKeyPairSync } from 'node:crypto';
import { BroadcastQueue } from '../broadcast-queue.ts';
import { localMeshConfig, suspicionMinMs } from '../config.ts';
import { createMeshMetrics } from '../metrics.ts';
import type { MemberUpdate } from '../protocol.ts';
import { createSeededRandom } from '../random.ts';
import { signClaim, verifyClaim } from './claim-signature.ts';
import { type Outgoing, Swim } from './swim.ts';

function core(peers: string[] = []) {
  const broadcasts = new BroadcastQueue();
  const metrics = createMeshMetrics();
  const swim = new Swim({
    self: { id: 'self', addr: 'a-self' },
    incarnation: 1,
    config: localMeshConfig(),
    random: createSeededRandom(1),
    metrics,
    broadcasts,
    now: 0,
  });
  swim.addSeeds(
    peers.map((p) => ({ id: p, addr: `a-${p}` })),
    0,
  );
  return { swim, metrics, broadcasts };
}

/** Runs the core's timers from `from` to `to` in 1 ms steps, never answering anything. */
function silence(swim: Swim, from: number, to: number): Outgoing[] {
  const out: Outgoing[] = [];
  for (let t = from; t <= to; t++) if (swim.nextDeadline() <= t) out.push(...swim.tick(t));
  return out;
}

const alive = (id: string, inc: number): MemberUpdate => ({ id, addr: `a-${id}`, inc, state: 'alive' });

describe('Swim', () => {
  it('suspects a member that answers neither directly nor through k others, then declares it dead', () => {
    const { swim, metrics } = core(['x', 'h1', 'h2', 'h3']);
    const out = silence(swim, 0, 30_000);
    expect(out.some((o) => o.body.type === 'ping')).toBe(true);
    expect(out.some((o) => o.body.type === 'ping-req')).toBe(true);
    expect(metrics.suspicions).toBeGreaterThan(0);
    expect(metrics.deaths).toBeGreaterThan(0);
    expect(swim.members().filter((m) => m.state === 'dead').length).toBeGreaterThan(0);
  });

  it('clears nothing on a late ack but a refutation at a higher incarnation ends the suspicion', () => {
    const { swim } = core(['x']);
    silence(swim, 0, 250);
    expect(swim.member('x')?.state).toBe('suspect');
    swim.applyUpdates(300, 'a-x', [alive('x', 0)]);
    expect(swim.member('x')?.state).toBe('suspect');
    swim.applyUpdates(300, 'a-x', [alive('x', 1)]);
    expect(swim.member('x')?.state).toBe('alive');
    silence(swim, 301, 301 + 6 * suspicionMinMs(localMeshConfig(), 2));
    // Probed again and silent again: suspected anew, never declared dead from the old suspicion.
    expect(swim.member('x')?.incarnation).toBe(1);
  });

  it('refutes a suspicion about itself with a higher incarnation and counts it', () => {
    const { swim, metrics, broadcasts } = core(['x']);
    swim.applyUpdates(10, 'a-x', [{ id: 'self', addr: 'a-self', inc: 1, state: 'suspect', by: 'x' }]);
    expect(swim.self.incarnation).toBe(2);
    expect(swim.self.state).toBe('alive');
    expect(metrics.refutations).toBe(1);
    const pb = broadcasts.take(1000, 10);
    expect(pb.g).toContainEqual({ id: 'self', addr: 'a-self', inc: 2, state: 'alive' });
  });

  it('does not revive a dead member from an alive replayed at the same incarnation, but does at a higher one', () => {
    const { swim } = core(['x']);
    swim.applyUpdates(0, 'a-x', [alive('x', 5)]);
    silence(swim, 0, 10_000);
    expect(swim.member('x')?.state).toBe('dead');
    swim.applyUpdates(10_001, 'a-other', [alive('x', 5)]);
    swim.applyUpdates(10_001, 'a-other', [alive('x', 4)]);
    expect(swim.member('x')?.state).toBe('dead');
    swim.applyUpdates(10_002, 'a-x', [alive('x', 6)]);
    expect(swim.member('x')?.state).toBe('alive');
  });

  it("accepts a higher incarnation only with its subject's signature once that key is known", () => {
    const x = generateKeyPairSync('ed25519');
    const other = generateKeyPairSync('ed25519');
    const broadcasts = new BroadcastQueue();
    const metrics = createMeshMetrics();
    const swim = new Swim({
      self: { id: 'self', addr: 'a-self' },
      incarnation: 1,
      config: localMeshConfig(),
      random: createSeededRandom(2),
      metrics,
      broadcasts,
      now: 0,
      verifyClaim: (u) => (u.id === 'x' ? verifyClaim(u, [x.publicKey]) : undefined),
    });
    swim.addSeeds([{ id: 'x', addr: 'a-x' }], 0);
    silence(swim, 0, 10_000);
    expect(swim.member('x')?.state).toBe('dead');
    const claim = alive('x', 7);
    swim.applyUpdates(10_001, 'a-rogue', [claim]);
    swim.applyUpdates(10_001, 'a-rogue', [{ ...claim, sig: signClaim(claim, other.privateKey) }]);
    expect(swim.member('x')?.state).toBe('dead');
    expect(metrics.droppedMessages['forged-claim']).toBe(2);
    swim.applyUpdates(10_002, 'a-other', [{ ...claim, sig: signClaim(claim, x.privateKey) }]);
    expect(swim.member('x')?.state).toBe('alive');
    // Relayed onward with the signature, so others can check it too.
    expect(broadcasts.take(10_000, 10).g).toContainEqual({ ...claim, sig: signClaim(claim, x.privateKey) });
  });

  it("verifies a third party's dead claim with its own probe instead of believing it", () => {
    const { swim, metrics } = core(['x', 'rogue']);
    const out = swim.applyUpdates(5, 'a-rogue', [
      { id: 'x', addr: 'a-x', inc: 0, state: 'dead', by: 'rogue' },
    ]);
    expect(swim.member('x')?.state).toBe('alive');
    const ping = out.find((o) => o.to === 'a-x' && o.body.type === 'ping');
    expect(ping).toBeDefined();
    // x answers our probe: the claim is ignored for good.
    swim.onAck({ v: 1, from: 'x', type: 'ack', seq: ((ping as Outgoing).body as { seq: number }).seq });
    silence(swim, 6, 100);
    expect(metrics.suspicions).toBe(0);
    expect(swim.member('x')?.state).toBe('alive');
  });

  it('marks a member left when it says so itself, without suspicion', () => {
    const { swim, metrics } = core(['x']);
    swim.applyUpdates(5, 'a-x', [{ id: 'x', addr: 'a-x', inc: 1, state: 'left' }]);
    expect(swim.member('x')?.state).toBe('left');
    expect(metrics.suspicions).toBe(0);
  });

  it('answers a ping-req by probing the target and relaying its ack, or nacks in time', () => {
    const { swim } = core(['x', 'req']);
    const out = swim.onPingReq(0, 'a-req', {
      v: 1,
      from: 'req',
      type: 'ping-req',
      seq: 77,
      target: 'x',
      targetAddr: 'a-x',
    });
    const ping = out[0];
    expect(ping?.to).toBe('a-x');
    const relayed = swim.onAck({
      v: 1,
      from: 'x',
      type: 'ack',
      seq: ((ping as Outgoing).body as { seq: number }).seq,
    });
    expect(relayed).toEqual([{ to: 'a-req', body: { type: 'ack', seq: 77 } }]);
    const out2 = swim.onPingReq(0, 'a-req', {
      v: 1,
      from: 'req',
      type: 'ping-req',
      seq: 78,
      target: 'x',
      targetAddr: 'a-x',
    });
    expect(out2.length).toBe(1);
    const later = silence(swim, 1, 60);
    expect(later).toContainEqual({ to: 'a-req', body: { type: 'nack', seq: 78 } });
  });

  it('never probes an address a ping-req names for a member it knows elsewhere', () => {
    const { swim } = core(['x']);
    const out = swim.onPingReq(0, 'a-req', {
      v: 1,
      from: 'req',
      type: 'ping-req',
      seq: 1,
      target: 'x',
      targetAddr: '10.0.0.1:53',
    });
    expect(out).toEqual([]);
  });

  it('probes a member at once when a caller reports a failed contact, and suspects it if that probe fails', () => {
    const { swim, metrics } = core(['x', 'h1', 'h2']);
    const out = swim.contactFailed(0, 'x');
    expect(out).toEqual([{ to: 'a-x', body: { type: 'ping', seq: expect.any(Number) } }]);
    // A burst of reports costs one probe; members not alive here or unknown cost none.
    expect(swim.contactFailed(1, 'x')).toEqual([]);
    expect(swim.contactFailed(1, 'nobody')).toEqual([]);
    expect(swim.contactFailed(1, 'self')).toEqual([]);
    expect(metrics.contactFailures).toBe(1);
    const later = silence(swim, 1, localMeshConfig().probeIntervalMs);
    // The probe goes indirect through the other members before it fails.
    expect(later.filter((o) => o.body.type === 'ping-req' && o.body.target === 'x').length).toBe(2);
    expect(swim.member('x')?.state).toBe('suspect');
    expect(swim.contactFailed(200, 'x')).toEqual([]);
  });

  it('keeps a member alive after a reported failed contact when another member still reaches it', () => {
    const { swim, metrics } = core(['x', 'h1', 'h2']);
    const ping = swim.contactFailed(0, 'x')[0] as Outgoing;
    const seq = (ping.body as { seq: number }).seq;
    // No direct answer (the path between us is cut) but a helper relays x's ack: the probe succeeded.
    const indirect = silence(swim, 1, localMeshConfig().probeTimeoutMs);
    expect(indirect.some((o) => o.body.type === 'ping-req' && o.body.target === 'x')).toBe(true);
    swim.onAck({ v: 1, from: 'h1', type: 'ack', seq });
    silence(swim, localMeshConfig().probeTimeoutMs + 1, localMeshConfig().probeIntervalMs + 1);
    expect(swim.member('x')?.state).toBe('alive');
    expect(metrics.suspicions).toBe(0);
  });

  it('grows the suspicion timeout with log N', () => {
    const c = localMeshConfig();
    expect(suspicionMinMs(c, 10)).toBe(4 * 100);
    expect(suspicionMinMs(c, 1000)).toBeCloseTo(12 * 100);
    expect(suspicionMinMs(c, 1000)).toBeGreaterThan(suspicionMinMs(c, 100));
  });
});
