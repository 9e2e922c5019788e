import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeSequences } from '../../src/features/sequenceEncoding.js';
import { initBackend } from '../../src/model/backend.js';
import { userEmbeddings } from '../../src/model/embeddings.js';
import { ARCHITECTURES } from '../../src/model/encoders.js';
import { batchTensors } from '../../src/model/sequenceModel.js';
import { smallShop, tinyModel } from '../insights/fixtures.js';

const events = smallShop();
const histories = ['u1', 'u2', 'u3'].map((user) => events.filter((e) => e.userId === user));

beforeAll(async () => {
  await initBackend('cpu', 'training');
});

describe.each(ARCHITECTURES)('user embeddings of a %s model', (architecture) => {
  it("are the encoder state after each user's last event, whatever else shares the batch", () => {
    const model = tinyModel(architecture);
    const together = userEmbeddings(model, histories);
    expect(together).toHaveLength(3);
    expect(together[0]).toHaveLength(model.config.hiddenSize);
    const alone = userEmbeddings(model, [histories[2] as typeof events]);
    Array.from(alone[0] as Float32Array).forEach((v, i) => {
      expect(together[2]?.[i]).toBeCloseTo(v, 5);
    });
    // The same numbers as the first hiddenSize columns of the last step's state.
    const batch = encodeSequences(
      [histories[0] as typeof events],
      model.vocabularies,
      model.config.maxLength,
    );
    const states = tf.tidy(() => model.steps(batchTensors(batch)).states.arraySync());
    const last = (states[0] as number[][])[batch.length - 1] as number[];
    last.slice(0, model.config.hiddenSize).forEach((v, i) => {
      expect(together[0]?.[i]).toBeCloseTo(v, 5);
    });
    expect(new Set(together.map((e) => Array.from(e).join())).size).toBe(3);
    model.dispose();
  });
});

it('refuses an empty history', () => {
  const model = tinyModel();
  expect(() => userEmbeddings(model, [[]])).toThrow(/history 0 is empty/);
  model.dispose();
});
