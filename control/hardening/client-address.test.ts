import { describe, expect, it } from 'bun:test';
import { addressKey, carryPeerAddress, clientAddress, notePeerAddress } from './client-address.ts';

const request = (peer: string | undefined, forwardedFor?: string) => {
  const r = new Request(
    'http://127.0.0.1/',
    forwardedFor ? { headers: { 'x-forwarded-for': forwardedFor } } : {},
  );
  notePeerAddress(r, peer);
  return r;
};

describe('clientAddress', () => {
  it('is the socket peer, and X-Forwarded-For changes nothing unless proxies are trusted', () => {
    expect(clientAddress(request('198.51.100.7', '203.0.113.1'), 0)).toBe('198.51.100.7');
    expect(clientAddress(request(undefined), 0)).toBe('unknown');
  });

  it('with N trusted proxies is the address the outermost one saw, never what the client wrote before it', () => {
    // The client wrote 1.1.1.1 itself; proxy 1 appended the client's real address, proxy 2 appended proxy 1's.
    const r = request('10.0.0.2', '1.1.1.1, 203.0.113.9, 10.0.0.1');
    expect(clientAddress(r, 1)).toBe('10.0.0.1');
    expect(clientAddress(r, 2)).toBe('203.0.113.9');
    expect(clientAddress(request('10.0.0.2'), 1)).toBe('10.0.0.2');
  });

  it('follows a request rebuilt around its body', () => {
    const r = request('198.51.100.7');
    const rebuilt = new Request(r, { body: '{}', method: 'POST' });
    carryPeerAddress(r, rebuilt);
    expect(clientAddress(rebuilt, 0)).toBe('198.51.100.7');
  });
});

describe('addressKey', () => {
  it('keys IPv4 as is, IPv4-mapped IPv6 as IPv4, and IPv6 by its /64', () => {
    expect(addressKey('198.51.100.7')).toBe('198.51.100.7');
    expect(addressKey('::ffff:198.51.100.7')).toBe('198.51.100.7');
    expect(addressKey('2001:db8:1:2:aaaa:bbbb:cccc:dddd')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8:1:2::1')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(addressKey('[fe80::1%eth0]')).toBe('fe80:0:0:0::/64');
    expect(addressKey('::1')).toBe('0:0:0:0::/64');
    expect(addressKey('unknown')).toBe('unknown');
  });
});
