// Tests of GitHub sign-in through real octokit against the fake GitHub: round trip and every state refusal.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { createSignIn, safeReturnTo } from './sign-in.ts';
import { type GitHubWorld, MemoryStateStore, startGitHubWorld, WORLD } from './testing/index.ts';

let world: GitHubWorld;
beforeAll(() => {
  world = startGitHubWorld();
});
afterAll(() => world.stop());

const REDIRECT = 'http://127.0.0.1:1/api/v1/auth/github/callback';

function setup() {
  const states = new MemoryStateStore();
  let now = 1_000_000;
  const signIn = createSignIn({ app: world.app, states, now: () => now });
  return { states, signIn, advance: (ms: number) => (now += ms) };
}

describe('GitHub sign-in', () => {
  it('round-trips: authorize URL with state, code exchange, /user and the verified primary email', async () => {
    const { signIn } = setup();
    const started = await signIn.start({ redirectUrl: REDIRECT, returnTo: '/projects' });
    const url = new URL(started.url);
    expect(url.origin).toBe(world.fake.url);
    expect(url.pathname).toBe('/login/oauth/authorize');
    expect(url.searchParams.get('client_id')).toBe(world.config.clientId);
    expect(url.searchParams.get('redirect_uri')).toBe(REDIRECT);
    expect(url.searchParams.get('state')).toBe(started.state);

    const code = world.fake.authorize(WORLD.alice, REDIRECT);
    const done = await signIn.complete({
      code,
      state: url.searchParams.get('state')!,
      cookieState: started.state,
    });
    if (!done.ok) throw new Error(done.message);
    expect(done.value.identity).toEqual({
      githubId: WORLD.alice,
      login: 'alice',
      name: 'Alice',
      email: 'alice@acme.example',
      avatarUrl: `https://avatars.example/${WORLD.alice}`,
    });
    expect(done.value.returnTo).toBe('/projects');
    expect(done.value.userToken).toStartWith('ghu_');
  });

  it('leaves the email empty when the primary email is not verified', async () => {
    const { signIn } = setup();
    const { state } = await signIn.start({ redirectUrl: REDIRECT });
    const done = await signIn.complete({
      code: world.fake.authorize(WORLD.bob, REDIRECT),
      state,
      cookieState: state,
    });
    expect(done.ok && done.value.identity.email).toBeNull();
  });

  it('signs in without an email when the App may not read email addresses', async () => {
    const { signIn } = setup();
    world.fake.addUser({
      id: 44,
      login: 'carol',
      name: 'Carol',
      emails: [],
      repoIds: [],
      installationIds: [],
    });
    world.fake.hideEmailsFor.add(44);
    const { state } = await signIn.start({ redirectUrl: REDIRECT });
    const done = await signIn.complete({
      code: world.fake.authorize(44, REDIRECT),
      state,
      cookieState: state,
    });
    expect(done).toMatchObject({ ok: true, value: { identity: { login: 'carol', email: null } } });
  });

  it('rejects a wrong state and exchanges no code', async () => {
    const { signIn } = setup();
    const { state } = await signIn.start({ redirectUrl: REDIRECT });
    const before = world.fake.hits.get('POST /login/oauth/access_token') ?? 0;
    const [id, secret] = state.split('.');
    const flipped = `${id}.${secret!.slice(0, -1)}${secret!.endsWith('A') ? 'B' : 'A'}`;
    for (const bad of [flipped, 'x', `${id}`, '', `other${id}.${secret}`]) {
      const r = await signIn.complete({
        code: world.fake.authorize(WORLD.alice, REDIRECT),
        state: bad,
        cookieState: bad,
      });
      expect(r).toMatchObject({ ok: false, code: 'invalid_request' });
    }
    expect(world.fake.hits.get('POST /login/oauth/access_token') ?? 0).toBe(before);
  });

  it('rejects a state that is not the one this browser started with', async () => {
    const { signIn } = setup();
    const mine = await signIn.start({ redirectUrl: REDIRECT });
    const theirs = await signIn.start({ redirectUrl: REDIRECT });
    for (const cookieState of [theirs.state, null, '']) {
      const code = world.fake.authorize(WORLD.alice, REDIRECT);
      const r = await signIn.complete({ code, state: mine.state, cookieState });
      expect(r).toMatchObject({ ok: false, code: 'invalid_request' });
    }
  });

  it('rejects an expired state', async () => {
    const { signIn, advance } = setup();
    const { state } = await signIn.start({ redirectUrl: REDIRECT });
    advance(10 * 60_000 + 1);
    const r = await signIn.complete({
      code: world.fake.authorize(WORLD.alice, REDIRECT),
      state,
      cookieState: state,
    });
    expect(r).toMatchObject({ ok: false, code: 'invalid_request' });
  });

  it('accepts a state once only', async () => {
    const { signIn } = setup();
    const { state } = await signIn.start({ redirectUrl: REDIRECT });
    const first = await signIn.complete({
      code: world.fake.authorize(WORLD.alice, REDIRECT),
      state,
      cookieState: state,
    });
    expect(first.ok).toBe(true);
    const again = await signIn.complete({
      code: world.fake.authorize(WORLD.alice, REDIRECT),
      state,
      cookieState: state,
    });
    expect(again).toMatchObject({ ok: false, code: 'invalid_request' });
  });

  it('stores only a hash of the state secret', async () => {
    const { signIn, states } = setup();
    const { state } = await signIn.start({ redirectUrl: REDIRECT });
    const stored = JSON.stringify([...states.states.values()]);
    expect(stored).not.toContain(state.split('.')[1]!);
  });

  it('reports a code GitHub refuses as a bad gateway, not a signed-in user', async () => {
    const { signIn } = setup();
    const { state } = await signIn.start({ redirectUrl: REDIRECT });
    const r = await signIn.complete({ code: 'not-a-code', state, cookieState: state });
    expect(r).toMatchObject({ ok: false, code: 'bad_gateway' });
  });

  it('keeps returnTo on this site', () => {
    expect(safeReturnTo('/w/abc?x=1')).toBe('/w/abc?x=1');
    for (const bad of ['//evil.example', 'https://evil.example', '/\\evil.example', 'relative', '/a b']) {
      expect(safeReturnTo(bad)).toBe('/');
    }
  });
});
