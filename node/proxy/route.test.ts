// Which node path needs which scope, and which ports a port-tunnel path names: the app never sees `/_port/…`.
import { describe, expect, it } from 'bun:test';
import { forwardedPort, isNodePath, scopeOf } from './route.ts';

describe('Workspace node paths', () => {
  it('asks the ports scope for a port tunnel, and keeps the path from the app', () => {
    expect(scopeOf('/_port/22')).toBe('ports');
    expect(scopeOf('/_terminal')).toBe('terminal');
    expect(scopeOf('/_agent/search')).toBe('agent');
    expect(scopeOf('/_logs')).toBe('logs');
    expect(scopeOf('/_portal')).toBe('http');
    expect(isNodePath('/_port/22')).toBe(true);
    expect(isNodePath('/_portal')).toBe(false);
  });

  it('reads the port of a tunnel path, and 0 for anything that is not a port', () => {
    expect(forwardedPort('/_port/22')).toBe(22);
    expect(forwardedPort('/_port/65535')).toBe(65535);
    for (const bad of [
      '/_port/',
      '/_port/0',
      '/_port/65536',
      '/_port/022',
      '/_port/22/x',
      '/_port/-1',
      '/_port/2e3',
    ])
      expect(forwardedPort(bad)).toBe(0);
    expect(forwardedPort('/x')).toBeUndefined();
  });
});
