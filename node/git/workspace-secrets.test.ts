// Tests of per-workspace secrets: one secret, one workspace.
import { describe, expect, it } from 'bun:test';
import { WorkspaceSecrets } from './workspace-secrets.ts';

const W1 = 'ws00000000000000000001';
const W2 = 'ws00000000000000000002';

describe('WorkspaceSecrets', () => {
  it('maps each secret to its own workspace only', () => {
    const s = new WorkspaceSecrets();
    const s1 = s.issue(W1);
    const s2 = s.issue(W2);
    expect(s1).not.toBe(s2);
    expect(s.verify(s1)).toBe(W1);
    expect(s.verify(s2)).toBe(W2);
  });

  it("refuses W1's random part presented under W2's id, and tampered or empty secrets", () => {
    const s = new WorkspaceSecrets();
    const s1 = s.issue(W1);
    s.issue(W2);
    const random = s1.split('.')[1]!;
    expect(s.verify(`${W2}.${random}`)).toBeUndefined();
    expect(s.verify(`${s1.slice(0, -1)}${s1.endsWith('A') ? 'B' : 'A'}`)).toBeUndefined();
    for (const bad of ['', '.', W1, `${W1}.`, 'ws0.x', `.${random}`]) expect(s.verify(bad)).toBeUndefined();
  });

  it('forgets revoked secrets and replaces a reissued one', () => {
    const s = new WorkspaceSecrets();
    const first = s.issue(W1);
    const second = s.issue(W1);
    expect(s.verify(first)).toBeUndefined();
    expect(s.verify(second)).toBe(W1);
    s.revoke(W1);
    expect(s.verify(second)).toBeUndefined();
  });
});
