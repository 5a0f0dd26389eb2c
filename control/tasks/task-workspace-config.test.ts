// The task workspace settings read from the environment: when idle task workspaces stop and when they go.
import { describe, expect, it } from 'bun:test';
import { ConfigError, loadControlConfig } from '../config.ts';

describe('Task workspace configuration', () => {
  it('stops idle task workspaces after 30 minutes and deletes them after 7 days by default', () => {
    expect(loadControlConfig({}, {}).taskWorkspaces).toEqual({
      idleStopMs: 30 * 60_000,
      retentionMs: 7 * 86_400_000,
    });
  });

  it('reads both, and refuses a bad value naming the variable', () => {
    const c = loadControlConfig(
      {},
      { WARREN_TASK_IDLE_STOP_MS: '5000', WARREN_TASK_WORKSPACE_RETENTION_MS: '60000' },
    );
    expect(c.taskWorkspaces).toEqual({ idleStopMs: 5_000, retentionMs: 60_000 });
    expect(() => loadControlConfig({}, { WARREN_TASK_IDLE_STOP_MS: 'soon' })).toThrow(ConfigError);
    expect(() => loadControlConfig({}, { WARREN_TASK_WORKSPACE_RETENTION_MS: '10' })).toThrow(
      /WARREN_TASK_WORKSPACE_RETENTION_MS/,
    );
  });
});
