// Tests of git credential protocol parsing and formatting.
import { describe, expect, it } from 'bun:test';
import { formatCredentialAnswer, parseCredentialRequest } from './credential-protocol.ts';

describe('git credential protocol', () => {
  it('parses what git sends for get', () => {
    const r = parseCredentialRequest(
      'capability[]=authtype\nprotocol=https\nhost=GitHub.com\npath=acme/app.git\nwwwauth[]=Basic realm="x"\n\n',
    );
    expect(r).toEqual({
      ok: true,
      value: { protocol: 'https', host: 'github.com', path: 'acme/app.git', username: null, password: null },
    });
  });

  it('splits url= as git does and refuses a url that disagrees with host', () => {
    expect(parseCredentialRequest('url=http://127.0.0.1:8080/app.git\n')).toMatchObject({
      ok: true,
      value: { protocol: 'http', host: '127.0.0.1:8080', path: 'app.git' },
    });
    expect(parseCredentialRequest('host=github.com\nurl=https://evil.example/x\n')).toMatchObject({
      ok: false,
    });
  });

  it('reads url= with the URL parser alone: userinfo, queries and fragments are refused', () => {
    const refused = [
      // A hand split took the host after the last `@`: github.com. The URL parser says evil.example.
      'url=https://evil.example#@github.com/\n',
      'url=https://evil.example?@github.com/\n',
      'url=https://evil.example\\@github.com/\n',
      'url=https://x-access-token@github.com/acme/app.git\n',
      'url=https://user:pass@github.com/acme/app.git\n',
      'url=https://@github.com/acme/app.git\n',
      'url=https://github.com/acme/app.git?x=1\n',
      'url=https://github.com/acme/app.git#frag\n',
      'url=https://github.com/acme/app.git?\n',
      'url=https://github.com/acme/app.git#\n',
      'url=https:github.com/acme/app.git\n',
      'url=https://github.com/a%zz\n',
      'url=https:///acme/app.git\n',
    ];
    for (const text of refused) expect(parseCredentialRequest(text)).toMatchObject({ ok: false });
    // What the parser derives must match the lines git gave.
    for (const text of [
      'protocol=http\nurl=https://github.com/acme/app.git\n',
      'host=github.com\nurl=https://github.com.evil.example/acme/app.git\n',
      'path=acme/app.git\nurl=https://github.com/acme/other.git\n',
    ])
      expect(parseCredentialRequest(text)).toMatchObject({ ok: false });
    expect(
      parseCredentialRequest('protocol=https\nhost=GitHub.com\nurl=https://github.com/acme/app.git\n'),
    ).toEqual({
      ok: true,
      value: { protocol: 'https', host: 'github.com', path: 'acme/app.git', username: null, password: null },
    });
    expect(parseCredentialRequest('url=https://GITHUB.com/acme/app.git\n')).toEqual({
      ok: true,
      value: { protocol: 'https', host: 'github.com', path: 'acme/app.git', username: null, password: null },
    });
  });

  it('refuses CR, NUL, smuggled lines, missing or empty hosts and bad lines', () => {
    const bad = [
      'protocol=https\nhost=github.com\r\n',
      'protocol=https\nhost=github.com\0evil.example\n',
      'protocol=https\nhost=github.com\nhost=evil.example\n',
      'protocol=https\nhost=\n',
      'protocol=https\n',
      'host=github.com\n',
      'protocol=https\nhost=github.com\njunk\n',
      'protocol=https\nhost=git hub.com\n',
      'protocol=https\nhost=github.com/evil\n',
      `${'a=b\n'.repeat(100)}protocol=https\nhost=github.com\n`,
    ];
    for (const text of bad) expect(parseCredentialRequest(text).ok).toBe(false);
  });

  it('writes username, password and password_expiry_utc, and refuses values that would break lines', () => {
    const text = formatCredentialAnswer({
      protocol: 'https',
      host: 'github.com',
      username: 'x-access-token',
      password: 'ghs_abc',
      expiresAt: new Date('2030-01-01T00:00:00Z'),
    });
    expect(text).toBe(
      'protocol=https\nhost=github.com\nusername=x-access-token\npassword=ghs_abc\npassword_expiry_utc=1893456000\n\n',
    );
    expect(() =>
      formatCredentialAnswer({
        protocol: 'https',
        host: 'github.com',
        username: 'x',
        password: 'a\nhost=evil',
        expiresAt: new Date(),
      }),
    ).toThrow();
  });
});
