// instrument/barrier-text.ts: the text written for a barriered assignment.
import { describe, expect, it } from 'vitest';
import { assignmentBarrier, x86RangeAsm, x86StoreAsm } from '../../instrument/barrier-text.js';

const parts = { k: 7, lhs: 'p->next', rhs: 'q', fromLvalue: false, valueUsed: false };

describe('barrier text', () => {
  it('writes the portable form with the C calls', () => {
    const t = assignmentBarrier({ ...parts, form: 'call' });
    expect(t).toContain('__auto_type __wb_s7 = &(p->next);');
    expect(t).toContain('__wb_v7 = (q);');
    expect(t).toContain('__wb_store_before(');
    expect(t).toContain('__wb_range_assign_slow(');
    expect(t).not.toContain('__asm__');
    expect(t.endsWith('(void)(*__wb_s7 = __wb_v7))); })')).toBe(true);
  });

  it('writes the asm form with the hook for the unit\'s vector state', () => {
    expect(assignmentBarrier({ ...parts, form: 'x86-64-asm' })).toContain(x86StoreAsm('__wb_store_hook'));
    expect(assignmentBarrier({ ...parts, form: 'x86-64-avx-asm' })).toContain(x86RangeAsm('__wb_range_hook_avx'));
  });

  it('copies a record from where it lives and yields the value when it is used', () => {
    const t = assignmentBarrier({ ...parts, fromLvalue: true, valueUsed: true, form: 'call' });
    expect(t).toContain('__auto_type __wb_r7 = &(q);');
    expect(t.endsWith(' *__wb_r7; })')).toBe(true);
  });
});
