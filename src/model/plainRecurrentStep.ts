import { dotProduct } from './dotProduct.js';
import type { Architecture } from './encoders.js';
import type { Params } from './params.js';

type Recurrent = Exclude<Architecture, 'attention'>;

const sigmoid = (value: number) => 1 / (1 + Math.exp(-value));

/**
 * recurrentStep's gates in plain loops, and for one user its whole step. As tensor ops, a round of
 * steps cost about 200 µs of dispatch whatever its size (measured on WASM: 277 µs for one user, 361
 * µs for 50) for a few thousand values of work; the state's product with enc.wh is the only part
 * worth a kernel, and only for a round of many users.
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
   * Advances h (and c, for LSTM) in place by one event, its product with enc.wh in plain loops
   * (about 21 µs a user). `x` holds the event's input times enc.wx plus enc.b from `at`, as
   * recurrentStep's `x` row.
   */
  step(x: Float32Array, at: number, h: Float32Array, c?: Float32Array): void {
    const { hidden, weights, hw } = this;
    for (let unit = 0; unit < hw.length; unit++) hw[unit] = dotProduct(h, 0, weights, unit * hidden, hidden);
    this.gates(x, at, hw, 0, h, c);
  }

  /**
   * Advances h (and c) in place by one event, given the state's product with enc.wh (without enc.bh)
   * in `hw` from `hwAt`: a row of one product for a whole round of users.
   */
  gates(
    x: Float32Array,
    at: number,
    hw: Float32Array | Float64Array,
    hwAt: number,
    h: Float32Array,
    c?: Float32Array,
  ): void {
    const { hidden } = this;
    // Gate g of unit j: x[at + g·hidden + j] from the input, hw[hwAt + g·hidden + j] from the state.
    // Written out, without a helper closure: the TypeScript runner names every closure it creates.
    const bias = this.hiddenBias;
    for (let j = 0; j < hidden; j++) {
      const x0 = (x[at + j] as number) + (hw[hwAt + j] as number) + (bias ? (bias[j] as number) : 0);
      if (this.architecture === 'rnn') {
        h[j] = Math.tanh(x0);
        continue;
      }
      const u1 = hidden + j;
      const x1 = (x[at + u1] as number) + (hw[hwAt + u1] as number) + (bias ? (bias[u1] as number) : 0);
      const u2 = 2 * hidden + j;
      if (this.architecture === 'gru') {
        const hn = (hw[hwAt + u2] as number) + (bias ? (bias[u2] as number) : 0);
        const n = Math.tanh((x[at + u2] as number) + sigmoid(x1) * hn);
        h[j] = n + sigmoid(x0) * ((h[j] as number) - n);
        continue;
      }
      const cell = c as Float32Array;
      const u3 = 3 * hidden + j;
      const x2 = (x[at + u2] as number) + (hw[hwAt + u2] as number);
      const x3 = (x[at + u3] as number) + (hw[hwAt + u3] as number);
      cell[j] = sigmoid(x1) * (cell[j] as number) + sigmoid(x0) * Math.tanh(x2);
      h[j] = sigmoid(x3) * Math.tanh(cell[j] as number);
    }
  }
}
