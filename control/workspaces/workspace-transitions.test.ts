// The workspace transition table and the user actions it allows.
import { describe, expect, it } from 'bun:test';
import { WORKSPACE_STATUSES } from '../../contract/index.ts';
import { ControlError } from '../errors.ts';
import {
  assertAction,
  assertTransition,
  canTransition,
  WORKSPACE_TRANSITIONS,
} from './workspace-transitions.ts';

describe('Workspace transitions', () => {
  it('has a row for every status and names only known statuses', () => {
    expect(Object.keys(WORKSPACE_TRANSITIONS).sort()).toEqual([...WORKSPACE_STATUSES].sort());
    for (const to of Object.values(WORKSPACE_TRANSITIONS).flat()) expect(WORKSPACE_STATUSES).toContain(to);
  });

  it('allows staying put and the lifecycle moves', () => {
    for (const s of WORKSPACE_STATUSES) expect(canTransition(s, s)).toBe(true);
    expect(canTransition('pending', 'starting')).toBe(true);
    expect(canTransition('starting', 'running')).toBe(true);
    expect(canTransition('running', 'stopping')).toBe(true);
    expect(canTransition('stopping', 'stopped')).toBe(true);
    expect(canTransition('unreachable', 'running')).toBe(true);
  });

  it('rejects leaving deleting for anything but unreachable, with 409 illegal_transition', () => {
    for (const s of WORKSPACE_STATUSES.filter((x) => x !== 'deleting' && x !== 'unreachable'))
      expect(canTransition('deleting', s)).toBe(false);
    try {
      assertTransition('deleting', 'running');
      throw new Error('expected a throw');
    } catch (e) {
      expect(e).toBeInstanceOf(ControlError);
      expect((e as ControlError).code).toBe('illegal_transition');
    }
  });

  it('refuses start and stop on a workspace being deleted, and allows a repeated delete', () => {
    expect(() => assertAction('start', 'deleting')).toThrow(ControlError);
    expect(() => assertAction('stop', 'deleting')).toThrow(ControlError);
    expect(() => assertAction('delete', 'deleting')).not.toThrow();
    expect(() => assertAction('start', 'stopped')).not.toThrow();
  });
});
