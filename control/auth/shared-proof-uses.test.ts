// Replicas on one database refuse a node proof any of them accepted: a replay sent to another replica fails too.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { NODE_PROOF_HEADER, type NodeCertificateClaims } from '../../contract/index.ts';
import { systemClock } from '../clock.ts';
import { type Database, openDatabase } from '../db/index.ts';
import { ControlError } from '../errors.ts';
import { createTestNodeKey, DATABASE_BACKENDS, signNodeProof } from '../testing/index.ts';
import { createNodeProofCheck, defaultNodeProofConfig } from './node-proof.ts';
import { createSharedProofUses } from './shared-proof-uses.ts';

const backend = DATABASE_BACKENDS[0]!;
let server: { url: string; stop(): Promise<void> };
let database: Database;

beforeAll(async () => {
  server = await backend.start();
  database = await openDatabase(server.url);
});
afterAll(async () => {
  database.close();
  await server.stop();
});

const PATH = '/api/v1/nodes/nd1/heartbeat';
const BODY = '{"workspaces":[]}';

async function call(
  check: ReturnType<typeof createNodeProofCheck>,
  certificate: NodeCertificateClaims,
  proof: string,
) {
  const request = new Request(`http://control.test${PATH}`, {
    method: 'POST',
    headers: { [NODE_PROOF_HEADER]: proof, 'content-type': 'application/json' },
    body: BODY,
  });
  try {
    await check(request, certificate);
    return 'accepted';
  } catch (e) {
    return e instanceof ControlError ? e.message : String(e);
  }
}

describe('Shared node proof uses', () => {
  it('refuses at replica B a proof replica A accepted (captured and sent again through the load balancer)', async () => {
    const key = await createTestNodeKey();
    const certificate = { cnf: { jwk: key.publicKey } } as NodeCertificateClaims;
    const uses = createSharedProofUses(database.client);
    // Two replicas: each its own in-memory cache, one database.
    const a = createNodeProofCheck(systemClock, defaultNodeProofConfig(), uses.claim);
    const b = createNodeProofCheck(systemClock, defaultNodeProofConfig(), uses.claim);
    const proof = await signNodeProof(key.privateKey, { method: 'POST', path: PATH, body: BODY });
    expect(await call(a, certificate, proof)).toBe('accepted');
    expect(await call(b, certificate, proof)).toMatch(/already used/);
    // A fresh proof of the same request passes either replica: each proof is used once.
    const next = await signNodeProof(key.privateKey, { method: 'POST', path: PATH, body: BODY });
    expect(await call(b, certificate, next)).toBe('accepted');
  });

  it('forgets uses once their proofs are stale anyway', async () => {
    const uses = createSharedProofUses(database.client);
    expect(await uses.claim('old', 1_000)).toBe(true);
    expect(await uses.claim('old', 1_000)).toBe(false);
    expect(await uses.prune(1_000)).toBeGreaterThanOrEqual(1);
    expect(await uses.claim('old', 1_000)).toBe(true);
  });
});
