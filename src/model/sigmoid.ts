/** The logistic function, for the plain-loop heads, gates and evaluation's regression. */
export function sigmoid(logit: number): number {
  return 1 / (1 + Math.exp(-logit));
}
