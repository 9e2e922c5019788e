import { sigmoid } from '../sigmoid.js';

/**
 * Binary logistic regression fitted by full-batch gradient descent with L2 regularisation: small
 * enough to read, and all that a baseline over a few dozen hand-made features needs.
 */
export interface LogisticModel {
  weights: Float64Array;
  bias: number;
  means: Float64Array;
  scales: Float64Array;
}

export function fitLogistic(
  rows: readonly (readonly number[])[],
  labels: readonly boolean[],
  { iterations = 300, learningRate = 0.5, l2 = 1e-4 } = {},
): LogisticModel {
  const features = rows[0]?.length ?? 0;
  const means = new Float64Array(features);
  const scales = new Float64Array(features).fill(1);
  for (const row of rows) {
    for (let j = 0; j < features; j++) means[j] = (means[j] as number) + (row[j] as number) / rows.length;
  }
  const variances = new Float64Array(features);
  for (const row of rows) {
    for (let j = 0; j < features; j++) {
      variances[j] =
        (variances[j] as number) + ((row[j] as number) - (means[j] as number)) ** 2 / rows.length;
    }
  }
  for (let j = 0; j < features; j++) {
    const variance = variances[j] as number;
    scales[j] = variance > 0 ? Math.sqrt(variance) : 1;
  }
  const standardised = rows.map((row) =>
    row.map((value, j) => (value - (means[j] as number)) / (scales[j] as number)),
  );
  const weights = new Float64Array(features);
  let bias = 0;
  for (let step = 0; step < iterations; step++) {
    const gradient = new Float64Array(features);
    let biasGradient = 0;
    standardised.forEach((row, i) => {
      let z = bias;
      row.forEach((value, j) => {
        z += value * (weights[j] as number);
      });
      const error = sigmoid(z) - (labels[i] ? 1 : 0);
      biasGradient += error;
      row.forEach((value, j) => {
        gradient[j] = (gradient[j] as number) + error * value;
      });
    });
    const n = Math.max(1, rows.length);
    for (let j = 0; j < features; j++) {
      weights[j] =
        (weights[j] as number) - learningRate * ((gradient[j] as number) / n + l2 * (weights[j] as number));
    }
    bias -= (learningRate * biasGradient) / n;
  }
  return { weights, bias, means, scales };
}

export function predictLogistic(model: LogisticModel, row: readonly number[]): number {
  let z = model.bias;
  row.forEach((value, j) => {
    z += ((value - (model.means[j] as number)) / (model.scales[j] as number)) * (model.weights[j] as number);
  });
  return sigmoid(z);
}
