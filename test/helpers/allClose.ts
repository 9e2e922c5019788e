import { expect } from 'vitest';

/** Element-wise float32 comparison: same length, each value within `tolerance` (absolute). */
export function expectAllClose(got: ArrayLike<number>, want: ArrayLike<number>, tolerance = 1e-4): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < got.length; i++) {
    const difference = Math.abs((got[i] as number) - (want[i] as number));
    if (!(difference <= tolerance)) {
      expect.fail(`element ${i}: got ${got[i]}, want ${want[i]} (tolerance ${tolerance})`);
    }
  }
}
