import { dotProduct } from './dotProduct.js';
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
      hw[unit] = dotProduct(h, 0, weights, unit * hidden, hidden) + (this.hiddenBias?.[unit] ?? 0);
    }
    // Gate g of unit j: x[at + g·hidden + j] from the input, hw[g·hidden + j] from the state.
    for (let j = 0; j < hidden; j++) {
      const x0 = (x[at + j] as number) + (hw[j] as number);
      if (this.architecture === 'rnn') {
        h[j] = Math.tanh(x0);
        continue;
      }
      const x1 = (x[at + hidden + j] as number) + (hw[hidden + j] as number);
      if (this.architecture === 'gru') {
        const n = Math.tanh(
          (x[at + 2 * hidden + j] as number) + sigmoid(x1) * (hw[2 * hidden + j] as number),
        );
        h[j] = n + sigmoid(x0) * ((h[j] as number) - n);
        continue;
      }
      const cell = c as Float32Array;
      const x2 = (x[at + 2 * hidden + j] as number) + (hw[2 * hidden + j] as number);
      const x3 = (x[at + 3 * hidden + j] as number) + (hw[3 * hidden + j] as number);
      cell[j] = sigmoid(x1) * (cell[j] as number) + sigmoid(x0) * Math.tanh(x2);
      h[j] = sigmoid(x3) * Math.tanh(cell[j] as number);
    }
  }
}
