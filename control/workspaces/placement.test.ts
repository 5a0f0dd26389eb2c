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
});
