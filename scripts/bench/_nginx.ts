// nginx as the peer a user would otherwise put in front: a plain keep-alive reverse proxy on loopback.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Starts nginx with one worker (like the single-threaded node) proxying to `upstreamPort`. */
export async function startNginx(
  upstreamPort: number,
): Promise<{ port: number; workerPids(): number[]; stop(): Promise<void> }> {
  const bin = ['/usr/sbin/nginx', Bun.which('nginx')].find((p) => p && Bun.file(p).size > 0);
  if (!bin) throw new Error('nginx is missing: apt-get install -y nginx');
  const prefix = mkdtempSync(join(tmpdir(), 'warren-nginx-'));
  const probe = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } });
  const port = probe.port;
  probe.stop(true);
  const conf = `
worker_processes 1;
daemon off;
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${prefix}/body;
  proxy_temp_path ${prefix}/proxy;
  fastcgi_temp_path ${prefix}/fastcgi;
  uwsgi_temp_path ${prefix}/uwsgi;
  scgi_temp_path ${prefix}/scgi;
  upstream app { server 127.0.0.1:${upstreamPort}; keepalive 128; }
  map $http_upgrade $connection_upgrade { default upgrade; '' ''; }
  server {
    listen 127.0.0.1:${port};
    keepalive_requests 1000000;
    location / {
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_set_header X-Forwarded-For $remote_addr;
      proxy_set_header X-Forwarded-Host $host;
      proxy_set_header X-Forwarded-Proto $scheme;
    }
  }
}
`;
  writeFileSync(join(prefix, 'nginx.conf'), conf);
  const proc = Bun.spawn([bin, '-p', prefix, '-c', join(prefix, 'nginx.conf')], {
    stdout: 'ignore',
    stderr: 'pipe',
  });
  const deadline = Date.now() + 5_000;
  for (;;) {
    try {
      const s = await Bun.connect({ hostname: '127.0.0.1', port, socket: { data() {} } });
      s.end();
      break;
    } catch {
      if (Date.now() > deadline || proc.exitCode !== null) {
        throw new Error(`nginx did not start: ${await new Response(proc.stderr).text()}`);
      }
      await Bun.sleep(20);
    }
  }
  return {
    port,
    workerPids: () => childrenOf(proc.pid),
    async stop() {
      proc.kill('SIGQUIT');
      await proc.exited;
      rmSync(prefix, { recursive: true, force: true });
    },
  };
}

/** Pids whose parent is `pid` (the nginx workers of a master). */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) out.push(Number(name));
    } catch {}
  }
  return out;
}
