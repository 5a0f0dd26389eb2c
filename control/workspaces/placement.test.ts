// Placement ranks online nodes by free slots.
import { describe, expect, it } from 'bun:test';
import type { NodeWithCount } from '../db/index.ts';
import { rankNodes } from './placement.ts';

const node = (id: string, capacity: number, count: number, status: NodeWithCount['status'] = 'online') =>
  ({ id, capacityWorkspaces: capacity, workspaceCount: count, status }) as NodeWithCount;

describe('rankNodes', () => {
  it('puts the node with the most free slots first and skips full or not-online nodes', () => {
    const ranked = rankNodes([
      node('a', 4, 3),
      node('b', 10, 2),
      node('c', 2, 2),
      node('d', 50, 0, 'degraded'),
      node('e', 50, 0, 'awaiting_agent'),
      node('f', 9, 1),
    ]);
    expect(ranked.map((n) => n.id)).toEqual(['b', 'f', 'a']);
  });

  it('breaks ties by id so placement is deterministic', () => {
    expect(rankNodes([node('z', 2, 0), node('m', 2, 0)]).map((n) => n.id)).toEqual(['m', 'z']);
  });

  it('never places on a warm-pool node: only its own claim lands there, an idle one may be reaped', () => {
    const pool = { ...node('p', 50, 0), labels: JSON.stringify({ 'warren.pool': 'instance' }) };
    const plain = { ...node('q', 2, 1), labels: JSON.stringify({ team: 'a' }) };
    expect(rankNodes([pool, plain]).map((n) => n.id)).toEqual(['q']);
  });

  it('never places on a drained node: an admin is emptying it', () => {
    const drained = { ...node('d', 50, 0), drainedAt: 1 };
    expect(rankNodes([drained, node('e', 2, 1)]).map((n) => n.id)).toEqual(['e']);
  });
});
