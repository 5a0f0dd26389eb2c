// The activity log's configuration (retention from the environment) and its cursor key (derived from the master
// key, so every control plane sharing that key accepts the same cursors, and no other use shares the key).
import { describe, expect, it } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadControlConfig } from '../config.ts';
import { deriveSubkey } from '../identity/index.ts';

describe('Activity configuration', () => {
  it('keeps 30 days by default and takes WARREN_ACTIVITY_RETENTION_DAYS', () => {
    expect(loadControlConfig({}, {}).activity.retentionMs).toBe(30 * 86_400_000);
    expect(loadControlConfig({}, { WARREN_ACTIVITY_RETENTION_DAYS: '7' }).activity.retentionMs).toBe(
      7 * 86_400_000,
    );
    for (const bad of ['forever', '0', '-1', '100000'])
      expect(() => loadControlConfig({}, { WARREN_ACTIVITY_RETENTION_DAYS: bad })).toThrow(
        /WARREN_ACTIVITY_RETENTION_DAYS/,
      );
  });

  it('derives a stable 32-byte cursor key per purpose from the master key', () => {
    const dir = mkdtempSync(join(tmpdir(), 'warren-subkey-'));
    try {
      const master = crypto.getRandomValues(new Uint8Array(32));
      const a = deriveSubkey(dir, master, 'activity-cursor');
      expect(a).toHaveLength(32);
      expect(deriveSubkey(dir, master, 'activity-cursor')).toEqual(a);
      expect(deriveSubkey(dir, master, 'something-else')).not.toEqual(a);
      expect(deriveSubkey(dir, crypto.getRandomValues(new Uint8Array(32)), 'activity-cursor')).not.toEqual(a);
      expect(Buffer.from(a).equals(Buffer.from(master))).toBe(false);
      // Without a configured key, the one generated into the data dir is used, the same each time.
      expect(deriveSubkey(dir, undefined, 'activity-cursor')).toEqual(
        deriveSubkey(dir, undefined, 'activity-cursor'),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
