// appOrigin: the address a browser opens a workspace's app at, on an origin of its own.
import { describe, expect, it } from 'bun:test';
import { appOrigin } from './views.ts';

const ID = 'ws0123456789abcdefghjkmn';

describe('appOrigin', () => {
  it('puts the app on ws-{id}.{base domain} with the scheme and port of the node’s address', () => {
    expect(appOrigin('http://127.0.0.1:7420', 'localhost', ID)).toBe(`http://ws-${ID}.localhost:7420`);
    expect(appOrigin('http://[::1]:7420/', 'localhost', ID)).toBe(`http://ws-${ID}.localhost:7420`);
    expect(appOrigin('https://node1.example.com', 'apps.example.com', ID)).toBe(
      `https://ws-${ID}.apps.example.com`,
    );
    expect(appOrigin('http://100.64.0.7:7420', 'n1.example.com', ID)).toBe(
      `http://ws-${ID}.n1.example.com:7420`,
    );
  });

  it('offers no address a browser cannot reach: *.localhost for a node that is not on loopback', () => {
    expect(appOrigin('http://100.64.0.7:7420', 'localhost', ID)).toBeNull();
    expect(appOrigin('https://node1.example.com', 'apps.localhost', ID)).toBeNull();
    expect(appOrigin('not a url', 'localhost', ID)).toBeNull();
  });
});
