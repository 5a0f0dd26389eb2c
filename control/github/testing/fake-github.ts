// A local stand-in for GitHub's REST API (documented shapes only), so the real octokit clients can be tested.
import { createPublicKey, randomBytes } from 'node:crypto';
import { compactVerify } from 'jose';

/** A repository on the fake GitHub. */
export interface FakeRepo {
  id: number;
  owner: { id: number; login: string; type: 'User' | 'Organization' };
  name: string;
  private: boolean;
  /** Files the contents API serves, by path. */
  files?: Record<string, string>;
}

/** A user: the private repositories they can reach and the installations they can see. */
export interface FakeUser {
  id: number;
  login: string;
  name: string | null;
  emails: { email: string; primary: boolean; verified: boolean }[];
  repoIds: number[];
  installationIds: number[];
}

export interface FakeInstallation {
  id: number;
  account: { id: number; login: string; type: 'User' | 'Organization' };
  repoIds: number[];
}

/** An installation token the fake minted, as a test inspects it. */
export interface MintedToken {
  token: string;
  installationId: number;
  /** null: the whole installation. */
  repositoryIds: number[] | null;
  permissions: Record<string, string>;
  expiresAt: Date;
}

export interface FakeGitHubOptions {
  appId: number;
  /** The App's private key (PEM); the fake verifies app JWTs with its public half. */
  appPrivateKey: string;
  clientId: string;
  clientSecret: string;
  /** Lifetime of minted installation tokens; GitHub's is one hour. */
  installationTokenTtlMs?: number;
}

/** What the App may ask for (its registered permissions). */
const APP_PERMISSIONS: Record<string, string> = {
  contents: 'write',
  metadata: 'read',
  pull_requests: 'write',
};

/** A pull request on the fake, as a test inspects it. */
export interface FakePullRequest {
  repoId: number;
  number: number;
  title: string;
  body: string | null;
  head: string;
  base: string;
  state: 'open' | 'closed';
  /** How many times PATCH changed it. */
  updates: number;
  /** When it was opened (ms since the epoch), for benchmarks. */
  openedAt: number;
}

/** Starts the fake on 127.0.0.1, port 0. `url` is both the OAuth host and the API root. */
export function startFakeGitHub(options: FakeGitHubOptions): FakeGitHub {
  return new FakeGitHub(options);
}

export class FakeGitHub {
  readonly repos = new Map<number, FakeRepo>();
  readonly users = new Map<number, FakeUser>();
  readonly installations = new Map<number, FakeInstallation>();
  /** Every installation token minted, in order. */
  readonly minted: MintedToken[] = [];
  /** Users whose `/user/emails` answers 403, as for an App without the email permission. */
  readonly hideEmailsFor = new Set<number>();
  /** Misbehave: answer token requests with every repository of the installation, whatever was asked. */
  widenTokens = false;
  /** Every pull request opened, in order. */
  readonly pulls: FakePullRequest[] = [];
  /**
   * Whether branch `ref` exists in repository `fullName` (`owner/name`), when a test serves its git: GitHub
   * refuses a pull request whose head branch it does not have. Unset: every branch exists.
   */
  branchExists: ((fullName: string, ref: string) => boolean) | undefined;
  /** How many requests each `METHOD path-pattern` got. */
  readonly hits = new Map<string, number>();
  readonly url: string;
  private readonly codes = new Map<string, { userId: number; redirectUrl: string | null }>();
  private readonly userTokens = new Map<string, number>();
  private readonly installationTokens = new Map<string, MintedToken>();
  private readonly publicKey;
  private readonly server: ReturnType<typeof Bun.serve>;

  constructor(private readonly options: FakeGitHubOptions) {
    this.publicKey = createPublicKey(options.appPrivateKey);
    this.server = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: (req) => this.handle(req) });
    this.url = `http://127.0.0.1:${this.server.port}`;
  }

  addRepo(repo: FakeRepo): FakeRepo {
    this.repos.set(repo.id, repo);
    return repo;
  }
  addUser(user: FakeUser): FakeUser {
    this.users.set(user.id, user);
    return user;
  }
  addInstallation(installation: FakeInstallation): FakeInstallation {
    this.installations.set(installation.id, installation);
    return installation;
  }

  /** What GitHub does when the user approves the authorize page: a one-use code for the callback. */
  authorize(userId: number, redirectUrl: string | null = null): string {
    const code = randomBytes(10).toString('hex');
    this.codes.set(code, { userId, redirectUrl });
    return code;
  }

  /** A user token directly (as if the user had signed in earlier). */
  userToken(userId: number): string {
    const token = `ghu_${randomBytes(18).toString('base64url')}`;
    this.userTokens.set(token, userId);
    return token;
  }

  /** The live installation token `token`, if the fake minted it and it has not expired. */
  installationToken(token: string): MintedToken | undefined {
    const t = this.installationTokens.get(token);
    return t && t.expiresAt.getTime() > Date.now() ? t : undefined;
  }

  async stop(): Promise<void> {
    await this.server.stop(true);
  }

  private count(key: string): void {
    this.hits.set(key, (this.hits.get(key) ?? 0) + 1);
  }

  /** The routes the fake serves: method, path pattern, handler given the pattern's groups. */
  private readonly routes: [string, RegExp, (req: Request, g: string[]) => Response | Promise<Response>][] = [
    ['POST', /^\/login\/oauth\/access_token$/, (req) => this.exchange(req)],
    ['GET', /^\/user$/, (req) => this.asUser(req, 'GET /user', (u) => this.userJson(u))],
    ['GET', /^\/user\/emails$/, (req) => this.emails(req)],
    [
      'GET',
      /^\/user\/installations$/,
      (req) => this.asUser(req, 'GET /user/installations', (u) => this.userInstallations(u)),
    ],
    ['POST', /^\/app\/installations\/(\d+)\/access_tokens$/, (req, g) => this.mint(req, Number(g[0]))],
    ['GET', /^\/installation\/repositories$/, (req) => this.installationRepositories(req)],
    [
      'GET',
      /^\/repos\/([^/]+)\/([^/]+)$/,
      (req, g) => this.repoRequest(req, 'GET /repos/{owner}/{repo}', this.repoByName(g[0]!, g[1]!), null),
    ],
    [
      'GET',
      /^\/repositories\/(\d+)$/,
      (req, g) => this.repoRequest(req, 'GET /repositories/{id}', this.repos.get(Number(g[0])), null),
    ],
    [
      'GET',
      /^\/repos\/([^/]+)\/([^/]+)\/contents\/(.+)$/,
      (req, g) =>
        this.repoRequest(
          req,
          'GET /repos/{owner}/{repo}/contents/{path}',
          this.repoByName(g[0]!, g[1]!),
          g[2]!,
        ),
    ],
    [
      'POST',
      /^\/repos\/([^/]+)\/([^/]+)\/pulls$/,
      (req, g) => this.openPull(req, this.repoByName(g[0]!, g[1]!)),
    ],
    [
      'PATCH',
      /^\/repos\/([^/]+)\/([^/]+)\/pulls\/(\d+)$/,
      (req, g) => this.updatePull(req, this.repoByName(g[0]!, g[1]!), Number(g[2])),
    ],
  ];

  private async handle(req: Request): Promise<Response> {
    const path = new URL(req.url).pathname;
    for (const [method, pattern, handler] of this.routes) {
      const g = req.method === method ? pattern.exec(path) : null;
      if (g) return handler(req, g.slice(1));
    }
    return Response.json({ message: 'Not Found' }, { status: 404 });
  }

  private emails(req: Request): Response {
    const user = this.users.get(this.userTokens.get(bearer(req) ?? '') ?? -1);
    if (user && this.hideEmailsFor.has(user.id)) {
      this.count('GET /user/emails');
      return Response.json({ message: 'Resource not accessible by integration' }, { status: 403 });
    }
    return this.asUser(req, 'GET /user/emails', (u) => u.emails);
  }

  private userInstallations(u: FakeUser) {
    const list = u.installationIds.flatMap((id) => {
      const i = this.installations.get(id);
      return i ? [{ id: i.id, account: i.account, suspended_at: null }] : [];
    });
    return { total_count: list.length, installations: list };
  }

  private installationRepositories(req: Request): Response {
    this.count('GET /installation/repositories');
    const t = this.installationToken(bearer(req) ?? '');
    if (!t) return unauthorized();
    const ids = t.repositoryIds ?? this.installations.get(t.installationId)?.repoIds ?? [];
    const repositories = ids.flatMap((id) =>
      this.repos.has(id) ? [this.repoJson(this.repos.get(id)!)] : [],
    );
    return Response.json({ total_count: repositories.length, repositories });
  }

  private async exchange(req: Request): Promise<Response> {
    this.count('POST /login/oauth/access_token');
    const body = await readParams(req);
    if (body.client_id !== this.options.clientId || body.client_secret !== this.options.clientSecret) {
      return oauthError(
        'incorrect_client_credentials',
        'The client_id and/or client_secret passed are incorrect.',
      );
    }
    const grant = this.codes.get(String(body.code ?? ''));
    this.codes.delete(String(body.code ?? ''));
    if (!grant || (grant.redirectUrl !== null && body.redirect_uri !== grant.redirectUrl)) {
      return oauthError('bad_verification_code', 'The code passed is incorrect or expired.');
    }
    return Response.json({ access_token: this.userToken(grant.userId), token_type: 'bearer', scope: '' });
  }

  private asUser(req: Request, key: string, body: (u: FakeUser) => unknown): Response {
    this.count(key);
    const user = this.users.get(this.userTokens.get(bearer(req) ?? '') ?? -1);
    return user ? Response.json(body(user)) : unauthorized();
  }

  private async mint(req: Request, installationId: number): Promise<Response> {
    this.count('POST /app/installations/{id}/access_tokens');
    if (!(await this.verifyAppJwt(bearer(req) ?? ''))) {
      return Response.json({ message: 'A JSON web token could not be decoded' }, { status: 401 });
    }
    const inst = this.installations.get(installationId);
    if (!inst) return Response.json({ message: 'Not Found' }, { status: 404 });
    const body = (await req.json().catch(() => ({}))) as {
      repository_ids?: unknown;
      permissions?: Record<string, string>;
    };
    let ids: number[] | null = null;
    if (body.repository_ids !== undefined) {
      if (!Array.isArray(body.repository_ids) || !body.repository_ids.every((x) => Number.isInteger(x))) {
        return Response.json({ message: 'Invalid request' }, { status: 422 });
      }
      ids = [...new Set(body.repository_ids as number[])];
      if (ids.some((id) => !inst.repoIds.includes(id))) {
        return Response.json(
          {
            message:
              'There is at least one repository that does not exist or is not accessible to the parent installation.',
          },
          { status: 422 },
        );
      }
    }
    if (this.widenTokens) ids = [...inst.repoIds];
    const permissions = body.permissions ?? APP_PERMISSIONS;
    for (const [k, v] of Object.entries(permissions)) {
      const granted = APP_PERMISSIONS[k];
      if (!granted || (v === 'write' && granted !== 'write')) {
        return Response.json(
          { message: `The permissions requested are not granted to this installation.` },
          { status: 422 },
        );
      }
    }
    const minted: MintedToken = {
      token: `ghs_${randomBytes(18).toString('base64url')}`,
      installationId,
      repositoryIds: ids,
      permissions,
      expiresAt: new Date(Date.now() + (this.options.installationTokenTtlMs ?? 3_600_000)),
    };
    this.minted.push(minted);
    this.installationTokens.set(minted.token, minted);
    return Response.json(
      {
        token: minted.token,
        expires_at: minted.expiresAt.toISOString().replace(/\.\d{3}Z$/, 'Z'),
        permissions,
        repository_selection: ids ? 'selected' : 'all',
        ...(ids ? { repositories: ids.map((id) => this.repoJson(this.repos.get(id)!)) } : {}),
      },
      { status: 201 },
    );
  }

  /** RS256 signed by the App's key, `iss` the App id, at most 10 minutes long, not expired. */
  private async verifyAppJwt(jwt: string): Promise<boolean> {
    try {
      const { payload, protectedHeader } = await compactVerify(jwt, this.publicKey, {
        algorithms: ['RS256'],
      });
      const claims = JSON.parse(new TextDecoder().decode(payload)) as {
        iss?: unknown;
        iat?: number;
        exp?: number;
      };
      const now = Math.floor(Date.now() / 1000);
      return (
        protectedHeader.alg === 'RS256' &&
        String(claims.iss) === String(this.options.appId) &&
        typeof claims.iat === 'number' &&
        typeof claims.exp === 'number' &&
        claims.exp > now &&
        claims.iat <= now + 60 &&
        claims.exp - claims.iat <= 660
      );
    } catch {
      return false;
    }
  }

  /** Who may see a repository: anyone if public; an installation token if it covers it; a user token if the
   * user can reach it and one of the user's installations covers it (GitHub App user tokens are limited so). */
  private canSee(req: Request, repo: FakeRepo): { pull: boolean; push: boolean } | null {
    const token = bearer(req) ?? '';
    const inst = this.installationToken(token);
    if (inst) {
      const ids = inst.repositoryIds ?? this.installations.get(inst.installationId)?.repoIds ?? [];
      if (ids.includes(repo.id)) return { pull: true, push: inst.permissions.contents === 'write' };
      return repo.private ? null : { pull: true, push: false };
    }
    const user = this.users.get(this.userTokens.get(token) ?? -1);
    const member =
      !!user &&
      user.repoIds.includes(repo.id) &&
      user.installationIds.some((id) => this.installations.get(id)?.repoIds.includes(repo.id));
    if (member) return { pull: true, push: true };
    return repo.private ? null : { pull: true, push: false };
  }

  private repoRequest(req: Request, key: string, repo: FakeRepo | undefined, path: string | null): Response {
    this.count(key);
    const token = bearer(req);
    // As GitHub: a token it does not know (expired, revoked, made up) is 401 Bad credentials.
    if (!token || (!this.userTokens.has(token) && !this.installationToken(token))) return unauthorized();
    const access = repo && this.canSee(req, repo);
    if (!repo || !access) return Response.json({ message: 'Not Found' }, { status: 404 });
    if (path === null)
      return Response.json({ ...this.repoJson(repo), permissions: { ...access, admin: false } });
    const content = repo.files?.[decodeURIComponent(path)];
    if (content === undefined) return Response.json({ message: 'Not Found' }, { status: 404 });
    return Response.json({
      type: 'file',
      encoding: 'base64',
      path,
      content: Buffer.from(content).toString('base64'),
    });
  }

  /**
   * Who may write pull requests: an installation token with `pull_requests: write` covering the repository.
   * As GitHub: an unknown token is a 401, a repository the token cannot see a 404, a read-only token a 403.
   */
  private pullAccess(req: Request, repo: FakeRepo | undefined): Response | undefined {
    const inst = this.installationToken(bearer(req) ?? '');
    if (!inst) return unauthorized();
    const ids = inst.repositoryIds ?? this.installations.get(inst.installationId)?.repoIds ?? [];
    if (!repo || !ids.includes(repo.id)) return Response.json({ message: 'Not Found' }, { status: 404 });
    if (inst.permissions.pull_requests !== 'write')
      return Response.json({ message: 'Resource not accessible by integration' }, { status: 403 });
    return undefined;
  }

  /** `POST /repos/{owner}/{repo}/pulls`: `title`, `head`, `base` required; one open PR per head and base. */
  private async openPull(req: Request, repo: FakeRepo | undefined): Promise<Response> {
    this.count('POST /repos/{owner}/{repo}/pulls');
    const denied = this.pullAccess(req, repo);
    if (denied || !repo) return denied ?? unauthorized();
    const body = (await req.json().catch(() => null)) as Record<string, unknown> | null;
    const field = (k: string) =>
      typeof body?.[k] === 'string' && body[k] !== '' ? (body[k] as string) : null;
    const [title, head, base] = [field('title'), field('head'), field('base')];
    const missing = !title ? 'title' : !head ? 'head' : !base ? 'base' : null;
    if (missing) return validationFailed({ resource: 'PullRequest', field: missing, code: 'missing_field' });
    const full = `${repo.owner.login}/${repo.name}`;
    if (this.branchExists && !(this.branchExists(full, head!) && this.branchExists(full, base!)))
      return validationFailed({
        resource: 'PullRequest',
        field: this.branchExists(full, head!) ? 'base' : 'head',
        code: 'invalid',
      });
    if (head === base)
      return validationFailed({
        resource: 'PullRequest',
        code: 'custom',
        message: `No commits between ${base} and ${head}`,
      });
    if (
      this.pulls.some((p) => p.repoId === repo.id && p.head === head && p.base === base && p.state === 'open')
    )
      return validationFailed({
        resource: 'PullRequest',
        code: 'custom',
        message: `A pull request already exists for ${repo.owner.login}:${head}.`,
      });
    const pr: FakePullRequest = {
      repoId: repo.id,
      number: this.pulls.filter((p) => p.repoId === repo.id).length + 1,
      title: title!,
      body: typeof body?.body === 'string' ? body.body : null,
      head: head!,
      base: base!,
      state: 'open',
      updates: 0,
      openedAt: Date.now(),
    };
    this.pulls.push(pr);
    return Response.json(this.pullJson(repo, pr), { status: 201 });
  }

  /** `PATCH /repos/{owner}/{repo}/pulls/{pull_number}`: title, body, state and base may change. */
  private async updatePull(req: Request, repo: FakeRepo | undefined, number: number): Promise<Response> {
    this.count('PATCH /repos/{owner}/{repo}/pulls/{pull_number}');
    const denied = this.pullAccess(req, repo);
    if (denied || !repo) return denied ?? unauthorized();
    const pr = this.pulls.find((p) => p.repoId === repo.id && p.number === number);
    if (!pr) return Response.json({ message: 'Not Found' }, { status: 404 });
    const body = ((await req.json().catch(() => null)) ?? {}) as Record<string, unknown>;
    if (typeof body.title === 'string') pr.title = body.title;
    if (typeof body.body === 'string') pr.body = body.body;
    if (typeof body.base === 'string') pr.base = body.base;
    if (body.state === 'open' || body.state === 'closed') pr.state = body.state;
    pr.updates++;
    return Response.json(this.pullJson(repo, pr));
  }

  private pullJson(repo: FakeRepo, pr: FakePullRequest) {
    const full = `${repo.owner.login}/${repo.name}`;
    const ref = (name: string) => ({
      label: `${repo.owner.login}:${name}`,
      ref: name,
      repo: this.repoJson(repo),
      user: repo.owner,
    });
    return {
      url: `${this.url}/repos/${full}/pulls/${pr.number}`,
      id: repo.id * 1000 + pr.number,
      html_url: `https://github.com/${full}/pull/${pr.number}`,
      number: pr.number,
      state: pr.state,
      locked: false,
      title: pr.title,
      body: pr.body,
      draft: false,
      merged: false,
      head: ref(pr.head),
      base: ref(pr.base),
    };
  }

  private repoByName(owner: string, name: string): FakeRepo | undefined {
    for (const r of this.repos.values()) {
      if (r.owner.login.toLowerCase() === owner.toLowerCase() && r.name.toLowerCase() === name.toLowerCase())
        return r;
    }
    return undefined;
  }

  private repoJson(r: FakeRepo) {
    return {
      id: r.id,
      name: r.name,
      full_name: `${r.owner.login}/${r.name}`,
      owner: r.owner,
      private: r.private,
      default_branch: 'main',
      clone_url: `https://github.com/${r.owner.login}/${r.name}.git`,
    };
  }

  private userJson(u: FakeUser) {
    return {
      id: u.id,
      login: u.login,
      name: u.name,
      avatar_url: `https://avatars.example/${u.id}`,
      type: 'User',
    };
  }
}

function bearer(req: Request): string | undefined {
  const m = /^(?:bearer|token)\s+(\S+)$/i.exec(req.headers.get('authorization') ?? '');
  return m?.[1];
}

/** GitHub's 422 for a request it understood but will not do, with its `errors` list. */
function validationFailed(error: Record<string, string>): Response {
  return Response.json(
    { message: 'Validation Failed', errors: [error], documentation_url: 'https://docs.github.com/rest' },
    { status: 422 },
  );
}

function unauthorized(): Response {
  return Response.json({ message: 'Requires authentication' }, { status: 401 });
}

/** GitHub answers OAuth errors with 200 and an `error` field when asked for JSON. */
function oauthError(error: string, description: string): Response {
  return Response.json({ error, error_description: description, error_uri: 'https://docs.github.com' });
}

async function readParams(req: Request): Promise<Record<string, unknown>> {
  const type = req.headers.get('content-type') ?? '';
  if (type.includes('application/x-www-form-urlencoded')) {
    return Object.fromEntries(new URLSearchParams(await req.text()));
  }
  return ((await req.json().catch(() => ({}))) ?? {}) as Record<string, unknown>;
}
