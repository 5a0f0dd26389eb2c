// Entry signatures over the canonical encoding.
import { describe, expect, it } from 'bun:test';
import { generateKeyPairSync } from 'node:crypto';
import type { RegistryEntry } from '../../contract/index.ts';
import { canonicalJson, signEntry, verifyEntry } from './signature.ts';

const draft: Omit<RegistryEntry, 'sig'> = {
  origin: 'nd00000000000000000000',
  key: 'workspace/ws00000000000000000000',
  kind: 'workspace',
  version: 7,
  value: {
    workspaceId: 'ws00000000000000000000',
    nodeId: 'nd00000000000000000000',
    status: 'running',
    ports: [3000],
  },
  deleted: false,
};

describe('Entry signatures', () => {
  it('encode canonically: key order does not change the bytes', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[1,{"y":2,"z":1}]},"b":1}',
    );
  });

  it('verify with the origin key and fail with another key or any changed field', () => {
    const mine = generateKeyPairSync('ed25519');
    const other = generateKeyPairSync('ed25519');
    const signed = signEntry(draft, mine.privateKey);
    expect(verifyEntry(signed, [mine.publicKey])).toBe(true);
    expect(verifyEntry(signed, [other.publicKey])).toBe(false);
    expect(verifyEntry(signed, [other.publicKey, mine.publicKey])).toBe(true);
    expect(verifyEntry({ ...signed, version: 8 }, [mine.publicKey])).toBe(false);
    expect(verifyEntry({ ...signed, origin: 'nd11111111111111111111' }, [mine.publicKey])).toBe(false);
    expect(
      verifyEntry({ ...signed, value: { ...(draft.value as object), status: 'stopped' } }, [mine.publicKey]),
    ).toBe(false);
    expect(verifyEntry({ ...signed, sig: 'not-a-signature' }, [mine.publicKey])).toBe(false);
  });

  it('verify a reordered copy of the same value (canonical encoding)', () => {
    const mine = generateKeyPairSync('ed25519');
    const signed = signEntry(draft, mine.privateKey);
    const v = draft.value as Record<string, unknown>;
    const reordered = { ports: v.ports, status: v.status, nodeId: v.nodeId, workspaceId: v.workspaceId };
    expect(verifyEntry({ ...signed, value: reordered }, [mine.publicKey])).toBe(true);
  });
});
