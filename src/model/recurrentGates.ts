import type { Architecture } from './encoders.js';
import type { Params } from './params.js';
import { sigmoid } from './sigmoid.js';

type Recurrent = Exclude<Architecture, 'attention'>;

/**
 * recurrentStep's gates in plain loops, given the state's product with enc.wh. As tensor ops they
 * were a dozen kernels a round of steps (splits, sigmoids, tanh, adds), each paying the backend's
 * dispatch for a few thousand values of work.
 */
export class RecurrentGates {
  private readonly hiddenBias: Float32Array | undefined;

  constructor(
    private readonly architecture: Recurrent,
    params: Params,
    private readonly hidden: number,
  ) {
    this.hiddenBias = architecture === 'gru' ? (params.get('enc.bh').dataSync() as Float32Array) : undefined;
  }

  /**
   * Advances h (and c, for LSTM) in place by one event. `x` holds the event's input times enc.wx
   * plus enc.b from `at`, as recurrentStep's `x` row; `hw` the state times enc.wh (without enc.bh)
   * from `hwAt`.
   */
  step(x: Float32Array, at: number, hw: Float32Array, hwAt: number, h: Float32Array, c?: Float32Array): void {
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
