// `bun run bench app-links`: what a fresh app cookie costs a browser whose cookie expired — the node's redirect to
// the control plane, the control plane's app link (mint + redirect), the node's cookie exchange — next to a page
// load with a valid cookie. Sequential requests, p50 and p99 in ms, as one markdown table.
import { joinTestNode, startPushRecorder, startTestControl } from '../../control/testing/index.ts';
import { startProxyFixture } from '../../node/testing/index.ts';

/** What a browser sends with a page load. */
const PAGE = { accept: 'text/html,application/xhtml+xml,*/*;q=0.8', 'sec-fetch-mode': 'navigate' };

function parseArgs(args: string[]): { requests: number } {
  const i = args.indexOf('--requests');
  return { requests: i >= 0 ? Number(args[i + 1]) : 300 };
}

/** Milliseconds of each of `n` sequential requests (after 20 warm-up ones); each must answer `status`. */
async function timed(n: number, status: number, request: () => Promise<Response>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n + 20; i++) {
    const t0 = performance.now();
    const res = await request();
    await res.arrayBuffer();
    const ms = performance.now() - t0;
    if (res.status !== status) throw new Error(`expected ${status}, got ${res.status}`);
    if (i >= 20) out.push(ms);
  }
  return out;
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((s.length * p) / 100))] ?? 0;
};

/** Runs the benchmark and prints its table. */
export default async function appLinksBench(args: string[]): Promise<void> {
  const { requests } = parseArgs(args);
  const fixture = await startProxyFixture({ fastPath: true });
  const control = await startTestControl();
  const pushes = startPushRecorder();
  try {
    const nodeUrl = fixture.node.url;
    const host = `ws-${fixture.ws.id}.localhost:${new URL(nodeUrl).port}`;
    const token = await fixture.issuer.mint({ workspaceId: fixture.ws.id, userId: fixture.owner });
    const fresh = (url: string, headers: Record<string, string>) =>
      fetch(url, { headers, redirect: 'manual' });

    // The control plane's app link needs a node with a base domain and a signed-in browser.
    const joined = await joinTestNode(control, {
      name: 'bench',
      address: pushes.url,
      baseDomain: 'localhost',
    });
    const project = await control.client.POST('/api/v1/projects', { body: { name: 'bench' } });
    const ws = await control.client.POST('/api/v1/workspaces', {
      body: { name: 'bench', projectId: project.data!.id, nodeId: joined.nodeId },
    });
    const adminId = (await control.client.GET('/api/v1/auth/me')).data!.id;
    const login = await fetch(await control.deps.credentials.loginLink(adminId, control.url), {
      redirect: 'manual',
    });
    const session = login.headers.get('set-cookie')!.split(';')[0]!;
    const appLink = `${control.url}/api/v1/workspaces/${ws.data!.id}/app?path=%2Fdeep%2Fpage`;

    const rows: [string, number[]][] = [
      [
        'page load, valid cookie (the app answers)',
        await timed(requests, 200, () =>
          fresh(`${nodeUrl}/page`, { host, ...PAGE, cookie: `warren_token=${token}` }),
        ),
      ],
      [
        '1. node: no valid cookie → 303 to the app link',
        await timed(requests, 303, () => fresh(`${nodeUrl}/page`, { host, ...PAGE })),
      ],
      [
        '2. control: app link → token minted, 303 to /_auth',
        await timed(requests, 303, () => fresh(appLink, { ...PAGE, cookie: session })),
      ],
      [
        '3. node: /_auth → cookie set, 303 to the page',
        await timed(requests, 303, () =>
          fresh(`${nodeUrl}/_auth?token=${token}&return=%2Fpage`, { host, ...PAGE }),
        ),
      ],
    ];
    const chain = rows.slice(1).map(([, xs]) => xs);
    const sum = (p: number) => chain.reduce((t, xs) => t + pct(xs, p), 0);
    console.log(`${requests} sequential requests per row\n`);
    console.log('| step | p50 ms | p99 ms |');
    console.log('| --- | ---: | ---: |');
    for (const [name, xs] of rows)
      console.log(`| ${name} | ${pct(xs, 50).toFixed(2)} | ${pct(xs, 99).toFixed(2)} |`);
    console.log(`| fresh cookie, steps 1–3 together | ${sum(50).toFixed(2)} | ${sum(99).toFixed(2)} |`);
    console.log(
      `\nA fresh cookie costs the browser ${(sum(50) / pct(rows[0]![1], 50)).toFixed(1)}× a page load with a valid one (p50), once per cookie life.`,
    );
  } finally {
    await pushes.stop();
    await control.stop();
    await fixture.close();
  }
}
