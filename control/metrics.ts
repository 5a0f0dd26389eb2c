// Prometheus text exposition of the control plane: request counters plus workspace and node gauges from the store.
import { NODE_STATUSES, WORKSPACE_STATUSES } from '../contract/index.ts';
import type { Store } from './db/index.ts';

export interface Metrics {
  request(method: string, status: number): void;
  render(store: Store): Promise<string>;
}

export function createMetrics(): Metrics {
  const requests = new Map<string, number>();
  return {
    request(method, status) {
      const key = `method="${method}",status="${status}"`;
      requests.set(key, (requests.get(key) ?? 0) + 1);
    },
    async render(store) {
      const lines: string[] = [];
      lines.push('# HELP warren_http_requests_total HTTP requests answered by the control plane.');
      lines.push('# TYPE warren_http_requests_total counter');
      for (const [k, n] of [...requests].sort()) lines.push(`warren_http_requests_total{${k}} ${n}`);
      const ws = await store.workspaces.list();
      lines.push('# HELP warren_workspaces Workspaces by status.');
      lines.push('# TYPE warren_workspaces gauge');
      for (const s of WORKSPACE_STATUSES)
        lines.push(`warren_workspaces{status="${s}"} ${ws.filter((w) => w.status === s).length}`);
      const nodes = await store.nodes.list();
      lines.push('# HELP warren_nodes Nodes by status.');
      lines.push('# TYPE warren_nodes gauge');
      for (const s of NODE_STATUSES)
        lines.push(`warren_nodes{status="${s}"} ${nodes.filter((n) => n.status === s).length}`);
      return `${lines.join('\n')}\n`;
    },
  };
}
