// The node's membership of its control plane: join or resume, heartbeats and what their answers change, renewal, seeds.
import { rmSync } from 'node:fs';
import { cpus, freemem, loadavg, totalmem } from 'node:os';
import { decodeJwt } from 'jose';
import type { HeartbeatAck, NodeJoined } from '../contract/index.ts';
import type { KeySet, Revocations } from './auth/index.ts';
import { ConfigError, type NodeConfig } from './config.ts';
import { ControlError, type ControlLink } from './control-link.ts';
import { HeartbeatLoop } from './heartbeat.ts';
import type { NodeMesh } from './mesh-member.ts';
import type { Membership, StateStore } from './state-store.ts';
import { NODE_VERSION } from './version.ts';
import type { IsolationKind, Placement, Runtime } from './workspaces/index.ts';

export interface NodeMembershipOptions {
  config: NodeConfig;
  store: StateStore;
  link: ControlLink;
  keys: KeySet;
  revocations: Revocations;
  log: (line: string) => void;
}

/** What a heartbeat reports and where its answer goes, known once the node serves. */
export interface HeartbeatParts {
  runtime: Runtime;
  placement: Placement;
  mesh: NodeMesh;
  address: string;
}

/**
 * The membership saved in the data dir and kept current: `establish()` joins (first start) or resumes it,
 * `startHeartbeat()` reports to the control plane and applies each answer (keys, revocations, a renewed
 * certificate, seeds, placements).
 */
export class NodeMembership {
  private membership: Membership | undefined;
  private heartbeat: HeartbeatLoop | undefined;
  private waiters: (() => void)[] = [];

  constructor(private readonly o: NodeMembershipOptions) {
    this.membership = o.store.loadMembership();
    if (!this.membership && !o.config.joinToken) {
      throw new ConfigError(
        '--join-token (or WARREN_JOIN_TOKEN) is required: this data dir has not joined yet',
      );
    }
  }

  /** The membership, once joined or resumed (or loaded from the data dir). */
  get current(): Membership | undefined {
    return this.membership;
  }

  /** Loads the saved key set and revocations, so tokens verify before the control plane answers. */
  async restoreKeys(): Promise<void> {
    if (!this.membership) return;
    await this.o.keys.replace(this.membership.jwks);
    this.o.revocations.replace(this.membership.revocations);
  }

  /**
   * Joins with the join token the first time, else resumes the saved membership. Returns the seeds to join the
   * mesh with: fresh ones from the join answer, else the ones saved with the last heartbeat (the control plane
   * may be down).
   */
  async establish(
    publicKey: { kty: 'OKP'; crv: 'Ed25519'; x: string },
    address: string,
    isolation: IsolationKind,
    joinTimeoutMs: number,
  ): Promise<{ membership: Membership; seeds: string[] | undefined }> {
    const { config, store, log } = this.o;
    if (this.membership) {
      this.membership.controlUrl = config.controlUrl;
      log(`resuming as ${this.membership.nodeId}, serving on ${address}`);
      return { membership: this.membership, seeds: this.membership.meshSeeds };
    }
    const joined = await this.joinWithRetry(publicKey, address, joinTimeoutMs, isolation);
    const membership = membershipFrom(config.controlUrl, joined);
    this.membership = membership;
    store.saveMembership(membership);
    // The token is spent: a file that held it goes, so nothing on disk can be replayed or leaked later.
    if (config.joinTokenFile) rmSync(config.joinTokenFile, { force: true });
    await this.o.keys.replace(joined.jwks);
    log(`joined as ${joined.nodeId} (${config.name}), serving on ${address}`);
    return { membership, seeds: joined.meshSeeds };
  }

  /** Starts heartbeating; a change in the runtime sends the next beat at once. */
  startHeartbeat(parts: HeartbeatParts): void {
    const { config, log } = this.o;
    const heartbeat = new HeartbeatLoop(
      () => this.beat(parts),
      config.heartbeat,
      (e, retry) => {
        const why = e instanceof ControlError ? e.message : (e as Error).message;
        log(`heartbeat failed (${why}); retrying in ${retry} ms`);
      },
    );
    this.heartbeat = heartbeat;
    parts.runtime.onChange(() => {
      parts.mesh.syncWorkspaces(parts.runtime.reports());
      heartbeat.poke();
    });
    heartbeat.start();
  }

  /** Sends a heartbeat now and resolves when it has been answered (or failed). */
  heartbeatNow(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.waiters.push(resolve);
      this.heartbeat?.poke();
    });
  }

  /**
   * Stops heartbeating; resolves when a beat in flight has ended, or after `boundMs` if it hangs on an
   * unreachable control plane, so a stop is never held up by it.
   */
  async stopHeartbeat(boundMs = 2_000): Promise<void> {
    const lastBeat = this.heartbeat?.stop();
    this.heartbeat = undefined;
    for (const f of this.waiters.splice(0)) f();
    if (!lastBeat) return;
    let giveUp: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([lastBeat, new Promise((r) => (giveUp = setTimeout(r, boundMs)))]);
    clearTimeout(giveUp);
  }

  private async beat(parts: HeartbeatParts): Promise<number> {
    // Only callers waiting before this beat began are answered by it: its ack may predate later changes.
    const answered = this.waiters;
    this.waiters = [];
    try {
      const m = this.membership!;
      const ack = await this.o.link.heartbeat(m.nodeId, m.certificate, {
        workspaces: parts.runtime.reports(),
        renew: pastHalfLife(m.certificate),
        address: parts.address,
        load: load(),
        isolation: parts.runtime.kind,
        baseDomain: this.o.config.baseDomain,
      });
      await this.applyAck(ack, parts);
      return ack.heartbeatIntervalMs;
    } finally {
      for (const f of answered) f();
    }
  }

  private async applyAck(ack: HeartbeatAck, parts: HeartbeatParts): Promise<void> {
    const { keys, store, log } = this.o;
    await keys.replace(ack.jwks);
    parts.mesh.controlRevocations(ack.revocations);
    const current = this.membership!;
    const next: Membership = {
      ...current,
      jwks: ack.jwks,
      revocations: ack.revocations,
      heartbeatIntervalMs: ack.heartbeatIntervalMs,
      ...(ack.meshSeeds ? { meshSeeds: ack.meshSeeds } : {}),
    };
    if (ack.certificate && ack.certificateExpiresAt) {
      next.certificate = ack.certificate;
      next.certificateExpiresAt = ack.certificateExpiresAt;
      log('node certificate renewed');
      // Peers check this node's entries against the certificate in its member entry: publish the new one.
      parts.mesh.publishMember(ack.certificate);
    }
    if (JSON.stringify(next) !== JSON.stringify(current)) {
      this.membership = next;
      store.saveMembership(next);
    }
    void parts.mesh.joinSeeds(ack.meshSeeds).catch((e) => log(`mesh join failed: ${(e as Error).message}`));
    void parts.placement
      .reconcile(ack.workspaces)
      .catch((e) => log(`reconcile failed: ${(e as Error).message}`));
  }

  private async joinWithRetry(
    publicKey: { kty: 'OKP'; crv: 'Ed25519'; x: string },
    address: string,
    timeoutMs: number,
    isolation: IsolationKind,
  ): Promise<NodeJoined> {
    const { config, link, log } = this.o;
    const deadline = Date.now() + timeoutMs;
    for (let attempt = 1; ; attempt++) {
      try {
        return await link.join({
          joinToken: config.joinToken!,
          name: config.name,
          publicKey,
          address,
          capacity: { workspaces: config.capacity },
          labels: config.labels,
          laptop: config.laptop,
          version: NODE_VERSION,
          isolation,
          baseDomain: config.baseDomain,
        });
      } catch (e) {
        if (!(e instanceof ControlError) || !e.retryable || Date.now() > deadline) throw e;
        const d = Math.min(
          config.heartbeat.backoffMaxMs,
          config.heartbeat.backoffBaseMs * 2 ** (attempt - 1),
        );
        const wait = d / 2 + (d / 2) * Math.random();
        log(`join failed (${e.message}); retrying in ${Math.round(wait)} ms`);
        await Bun.sleep(wait);
      }
    }
  }
}

function membershipFrom(controlUrl: string, j: NodeJoined): Membership {
  return {
    controlUrl,
    nodeId: j.nodeId,
    issuer: j.issuer,
    certificate: j.certificate,
    certificateExpiresAt: j.expiresAt,
    heartbeatIntervalMs: j.heartbeatIntervalMs,
    jwks: j.jwks,
    revocations: [],
    ...(j.meshSeeds ? { meshSeeds: j.meshSeeds } : {}),
  };
}

/** True once the certificate has lived half its life: time to ask for a new one. */
export function pastHalfLife(certificate: string, nowMs = Date.now()): boolean {
  try {
    const { iat, exp } = decodeJwt(certificate);
    if (typeof iat !== 'number' || typeof exp !== 'number') return true;
    return nowMs / 1000 >= iat + (exp - iat) / 2;
  } catch {
    return true;
  }
}

function load(): { cpu: number; memory: number } {
  const cpu = (loadavg()[0] ?? 0) / Math.max(1, cpus().length);
  return { cpu: Math.round(cpu * 100) / 100, memory: Math.round((1 - freemem() / totalmem()) * 100) / 100 };
}
