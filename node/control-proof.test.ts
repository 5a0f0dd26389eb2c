// The node's proof: one JWS per call, bound to its method, path and query, and the exact body bytes sent.
import { describe, expect, it } from 'bun:test';
import { createHash } from 'node:crypto';
import { jwtVerify } from 'jose';
import { NODE_PROOF_HEADER, TOKEN_TYP } from '../contract/index.ts';
import { certificateHeaders } from './control-proof.ts';
import { createTestProver } from './testing/index.ts';

const sha256 = (s: string) => createHash('sha256').update(s).digest('base64url');

describe('Node proof', () => {
  it('signs the method, path with query, body digest, iat and a fresh jti with the node key', async () => {
    const { prove, publicKey } = await createTestProver();
    const body = JSON.stringify({ workspaces: [], note: 'é' });
    const url = 'http://127.0.0.1:7400/api/v1/nodes/nd1/heartbeat?x=1';
    const proof = await prove({ method: 'post', url, body });
    const { payload, protectedHeader } = await jwtVerify(proof, publicKey, { typ: TOKEN_TYP.nodeProof });
    expect(protectedHeader.alg).toBe('EdDSA');
    expect(payload).toMatchObject({ htm: 'POST', htu: '/api/v1/nodes/nd1/heartbeat?x=1', bd: sha256(body) });
    expect(Math.abs(payload.iat! - Date.now() / 1000)).toBeLessThan(5);
    const again = await jwtVerify(await prove({ method: 'POST', url, body }), publicKey);
    expect(again.payload.jti).toBeString();
    expect(again.payload.jti).not.toBe(payload.jti);
  });

  it('digests the empty string for a call without a body and sends the certificate beside the proof', async () => {
    const { prove, publicKey } = await createTestProver();
    const headers = await certificateHeaders('cert', prove, {
      method: 'POST',
      url: 'http://c/api/v1/workspaces/ws1/git-token',
    });
    expect(headers.authorization).toBe('Bearer cert');
    const { payload } = await jwtVerify(headers[NODE_PROOF_HEADER]!, publicKey);
    expect(payload.bd).toBe(sha256(''));
    expect(payload.htu).toBe('/api/v1/workspaces/ws1/git-token');
  });
});
