// Nodes joining with a one-use token, heartbeating with their certificate, and what the control plane answers.

import {
  type Heartbeat,
  type HeartbeatAck,
  type NodeCertificateClaims,
  type NodeJoined,
  type NodeJoinRequest,
  newId,
} from '../../contract/index.ts';
import type { Clock } from '../clock.ts';
import type { ControlConfig } from '../config.ts';
import type { Store } from '../db/index.ts';
import { unauthorized } from '../errors.ts';
import { hashSecret, type Issuer, type KeyRing, looksLike, sameDigest } from '../identity/index.ts';
import type { WorkspaceService } from '../workspaces/index.ts';
import type { Liveness } from './liveness.ts';

export interface NodeService {
  join(input: NodeJoinRequest): Promise<NodeJoined>;
  heartbeat(nodeId: string, claims: NodeCertificateClaims, input: Heartbeat): Promise<HeartbeatAck>;
}

const iso = (unixSeconds: number) => new Date(unixSeconds * 1000).toISOString();

export function createNodeService(deps: {
  store: Store;
  clock: Clock;
  ring: KeyRing;
  issuer: Issuer;
  workspaces: WorkspaceService;
  liveness: Liveness;
  config: Pick<ControlConfig, 'heartbeatIntervalMs'>;
  /** Mesh addresses to hand a node in join and heartbeat answers. */
  meshSeeds?: () => string[] | undefined;
}): NodeService {
  const { store, clock, issuer } = deps;
  const seeds = () => {
    const s = deps.meshSeeds?.();
    return s && s.length > 0 ? { meshSeeds: s } : {};
  };
  return {
    async join(input) {
      if (!looksLike('joinToken', input.joinToken)) throw unauthorized('invalid join token');
      const publicKey = JSON.stringify(input.publicKey);
      // A machine that comes back with the same key (a laptop after a night away) re-registers as itself.
      const existing = await store.nodes.findByPublicKey(publicKey);
      const proposed = existing?.id ?? newId('node');
      const now = clock.now();
      const hash = hashSecret(input.joinToken);
      const token = await store.joinTokens.consume(hash, proposed, now);
      if (!token || !sameDigest(token.tokenHash, hash))
        throw unauthorized('join token invalid, used or expired');
      // A token minted for a provisioned machine names the node id the provider already gave that machine.
      const nodeId = token.nodeId ?? proposed;
      if (existing && existing.id !== nodeId)
        throw unauthorized('this join token belongs to another node than the one with this key');
      const laptop = input.laptop || token.laptop;
      const labels = { ...(JSON.parse(token.labels) as Record<string, string>), ...input.labels };
      const row = {
        // A machine that re-registers keeps the name it has here: an admin may have renamed it.
        name: existing?.name ?? input.name,
        status: 'online' as const,
        address: input.address,
        publicKey,
        labels: JSON.stringify(labels),
        capacityWorkspaces: input.capacity.workspaces,
        laptop,
        version: input.version ?? null,
        // A join describes the node afresh: one that does not say how it isolates is shown as unknown, never
        // with what an earlier run of the same machine claimed.
        isolation: input.isolation ?? null,
        baseDomain: input.baseDomain ?? null,
        lastHeartbeatAt: now,
      };
      if (existing) {
        await store.nodes.update(nodeId, row);
        await deps.liveness.returned(nodeId);
      } else {
        await store.nodes.insert({ id: nodeId, ...row, loadCpu: null, loadMemory: null, createdAt: now });
      }
      const cert = await issuer.nodeCertificate({
        nodeId,
        publicKey: input.publicKey,
        address: input.address,
        name: row.name,
        laptop,
      });
      await deps.workspaces.placePending();
      return {
        nodeId,
        issuer: issuer.issuer,
        certificate: cert.token,
        expiresAt: iso(cert.expiresAt),
        heartbeatIntervalMs: deps.config.heartbeatIntervalMs,
        jwks: deps.ring.jwks(),
        ...seeds(),
      };
    },
    async heartbeat(nodeId, claims, input) {
      const now = clock.now();
      const before = await store.nodes.get(nodeId);
      if (!before) throw unauthorized('unknown node');
      await store.nodes.update(nodeId, {
        // A heartbeat does not make a node its peers cannot reach `online`.
        status: deps.liveness.onHeartbeat(before, now),
        lastHeartbeatAt: now,
        ...(input.load
          ? { loadCpu: Math.round(input.load.cpu * 1000), loadMemory: Math.round(input.load.memory * 1000) }
          : {}),
        ...(input.address ? { address: input.address } : {}),
        ...(input.isolation ? { isolation: input.isolation } : {}),
        ...(input.baseDomain ? { baseDomain: input.baseDomain } : {}),
      });
      if (before.status !== 'online') await deps.liveness.returned(nodeId);
      await deps.workspaces.applyReports(nodeId, input.workspaces);
      await deps.workspaces.placePending();
      const hosted = await store.workspaces.listOnNode(nodeId);
      const ack: HeartbeatAck = {
        workspaces: await Promise.all(hosted.map((w) => deps.workspaces.assignment(w))),
        revocations: await store.revocations.list(),
        jwks: deps.ring.jwks(),
        heartbeatIntervalMs: deps.config.heartbeatIntervalMs,
        ...seeds(),
      };
      if (input.renew) {
        const cert = await issuer.nodeCertificate({
          nodeId,
          publicKey: claims.cnf.jwk,
          address: input.address ?? before.address,
          name: before.name,
          laptop: before.laptop,
        });
        ack.certificate = cert.token;
        ack.certificateExpiresAt = iso(cert.expiresAt);
      }
      return ack;
    },
  };
}
