import type { Architecture } from './encoders.js';
import type { Params } from './params.js';

type Recurrent = Exclude<Architecture, 'attention'>;

const sigmoid = (value: number) => 1 / (1 + Math.exp(-value));

/**
 * recurrentStep for one user in plain loops. A round of tensor ops costs about 200 µs of dispatch
 * whatever its size (measured on WASM: 277 µs for one user, 361 µs for 50), where this costs about
 * 21 µs a user; in a Zipf-skewed stream most rounds of a micro-batch step a handful of busy users.
 */
export class PlainRecurrentStep {
  /** enc.wh transposed to [gates × hidden, hidden]: each gate unit's weights are contiguous. */
  private readonly weights: Float32Array;
  private readonly hiddenBias: Float32Array | undefined;
  private readonly hw: Float64Array;

  constructor(
    private readonly architecture: Recurrent,
    params: Params,
    private readonly hidden: number,
  ) {
    const wh = params.get('enc.wh').dataSync() as Float32Array;
    const units = wh.length / hidden;
    this.weights = new Float32Array(wh.length);
    for (let i = 0; i < hidden; i++) {
      for (let j = 0; j < units; j++) this.weights[j * hidden + i] = wh[i * units + j] as number;
    }
    this.hiddenBias = architecture === 'gru' ? (params.get('enc.bh').dataSync() as Float32Array) : undefined;
    this.hw = new Float64Array(units);
  }

  /**
   * Advances h (and c, for LSTM) in place by one event. `x` holds the event's input times enc.wx
   * plus enc.b from `at`, as recurrentStep's `x` row.
   */
  step(x: Float32Array, at: number, h: Float32Array, c?: Float32Array): void {
    const { hidden, weights, hw } = this;
    for (let unit = 0; unit < hw.length; unit++) {
      // Four running sums: with one, the chain of dependent additions bounds the loop.
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      const row = unit * hidden;
      let i = 0;
      for (; i + 3 < hidden; i += 4) {
        s0 += (h[i] as number) * (weights[row + i] as number);
        s1 += (h[i + 1] as number) * (weights[row + i + 1] as number);
        s2 += (h[i + 2] as number) * (weights[row + i + 2] as number);
        s3 += (h[i + 3] as number) * (weights[row + i + 3] as number);
      }
      for (; i < hidden; i++) s0 += (h[i] as number) * (weights[row + i] as number);
      hw[unit] = s0 + s1 + s2 + s3 + ((this.hiddenBias?.[unit] as number | undefined) ?? 0);
    }
    const input = (gate: number, j: number) => x[at + gate * hidden + j] as number;
    const fromH = (gate: number, j: number) => hw[gate * hidden + j] as number;
    for (let j = 0; j < hidden; j++) {
      if (this.architecture === 'rnn') {
        h[j] = Math.tanh(input(0, j) + fromH(0, j));
      } else if (this.architecture === 'gru') {
        const z = sigmoid(input(0, j) + fromH(0, j));
        const r = sigmoid(input(1, j) + fromH(1, j));
        const n = Math.tanh(input(2, j) + r * fromH(2, j));
        h[j] = n + z * ((h[j] as number) - n);
      } else {
        const cell = c as Float32Array;
        const gate = (g: number) => input(g, j) + fromH(g, j);
        cell[j] = sigmoid(gate(1)) * (cell[j] as number) + sigmoid(gate(0)) * Math.tanh(gate(2));
        h[j] = sigmoid(gate(3)) * Math.tanh(cell[j] as number);
      }
    }
  }
}
