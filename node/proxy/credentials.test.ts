// Warren's cookies at the proxy: an app's Set-Cookie for one never reaches the client, however the app spells it.
import { describe, expect, it } from 'bun:test';
import { setsWarrenCookie, withoutWarrenSetCookieLines, withoutWarrenSetCookies } from './credentials.ts';

describe('Warren cookies set by an app', () => {
  it('recognises every spelling of a Warren cookie name', () => {
    for (const c of ['warren_token=x', ' warren_session=x; Path=/', 'WARREN_TOKEN=x', 'Warren_other=1'])
      expect(setsWarrenCookie(c)).toBe(true);
    for (const c of ['theme=dark', 'mywarren_token=x', 'warren=x', '__Host-x=warren_token'])
      expect(setsWarrenCookie(c)).toBe(false);
  });

  it('drops those Set-Cookie lines from a raw head, with odd spacing, any case and folded continuations', () => {
    const head = [
      'HTTP/1.1 200 OK',
      'Set-Cookie: warren_token=planted; Path=/',
      'set-cookie : theme=dark',
      'SET-COOKIE:warren_session=planted',
      'Set-Cookie :  WARREN_TOKEN=planted',
      '  ; Domain=localhost',
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n');
    expect(withoutWarrenSetCookieLines(head)).toBe(
      ['HTTP/1.1 200 OK', 'set-cookie : theme=dark', 'Content-Length: 0', '', ''].join('\r\n'),
    );
    expect(withoutWarrenSetCookieLines('HTTP/1.1 200 OK\r\nSet-Cookie: a=b\r\n\r\n')).toBeUndefined();
    expect(withoutWarrenSetCookieLines('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n')).toBeUndefined();
  });

  it("drops them from a Response, keeping the app's own cookies and every other header", () => {
    const headers = new Headers({ 'content-type': 'text/plain', 'x-app': '1' });
    for (const c of ['warren_token=planted', 'theme=dark', 'warren_session=planted', 'lang=en'])
      headers.append('set-cookie', c);
    const res = withoutWarrenSetCookies(new Response('body', { status: 201, headers }));
    expect(res.status).toBe(201);
    expect(res.headers.getSetCookie()).toEqual(['theme=dark', 'lang=en']);
    expect(res.headers.get('x-app')).toBe('1');
    const plain = new Response('x', { headers: { 'set-cookie': 'theme=dark' } });
    expect(withoutWarrenSetCookies(plain)).toBe(plain);
  });
});
