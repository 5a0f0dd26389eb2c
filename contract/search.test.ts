// The FTS query rule: every user term becomes one quoted phrase; nothing of the input is an operator.
import { describe, expect, it } from 'bun:test';
import { ftsQuery } from './search.ts';

describe('ftsQuery', () => {
  it('quotes each term and doubles inner quotes', () => {
    expect(ftsQuery('deploy failed')).toBe('"deploy" "failed"');
    expect(ftsQuery('a"b OR NEAR(x')).toBe('"a""b" "OR" "NEAR(x"');
    expect(ftsQuery('-x *y col:z ^w')).toBe('"-x" "*y" "col:z" "^w"');
  });

  it('drops terms without a letter or digit and answers undefined when nothing is left', () => {
    expect(ftsQuery('" ( ) * -')).toBeUndefined();
    expect(ftsQuery('   ')).toBeUndefined();
    expect(ftsQuery('( deploy )')).toBe('"deploy"');
  });

  it('bounds the number and length of terms', () => {
    expect(ftsQuery(Array.from({ length: 40 }, (_, i) => `t${i}`).join(' '))?.split(' ')).toHaveLength(16);
    expect(ftsQuery('x'.repeat(500))).toBe(`"${'x'.repeat(64)}"`);
  });
});
