import { describe, expect, it } from 'vitest';
import { expNonPositive } from '../../src/model/fastExp.js';

describe('expNonPositive', () => {
  it('is within 2e-7 of Math.exp wherever the result is a normal double', () => {
    let worst = 0;
    for (let x = -700; x <= 0; x += 0.00731) {
      worst = Math.max(worst, Math.abs(expNonPositive(x) / Math.exp(x) - 1));
    }
    expect(worst).toBeLessThan(2e-7);
    expect(worst).toBeGreaterThan(0);
  });

  it('is exact at 0 and underflows to 0 below the double range', () => {
    expect(expNonPositive(0)).toBe(1);
    expect(Math.abs(expNonPositive(-1e-12) - Math.exp(-1e-12))).toBeLessThan(1e-15);
    expect(expNonPositive(-740)).toBeLessThan(1e-320);
    expect(expNonPositive(-800)).toBe(0);
    expect(expNonPositive(Number.NEGATIVE_INFINITY)).toBe(0);
  });
});
