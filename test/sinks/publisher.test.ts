import { describe, expect, it } from 'vitest';
import type { ProfileMessage } from '../../src/sinks/profileMessage.js';
import { type PublishBatch, toTopicMessages } from '../../src/sinks/publisher.js';

const profile: ProfileMessage = {
  userId: 'u1',
  at: '2026-11-29T00:00:00.000Z',
  modelVersion: 'v1',
  events: 1,
  lastEvent: '2017-11-25T00:00:00.000Z',
  halfLifeSeconds: 86_400,
  categories: [{ name: 'c1', weight: 1, share: 1 }],
  actions: [{ name: 'view', weight: 1, share: 1 }],
  embedding: [0.5],
};
const batch: PublishBatch = {
  scores: [],
  deadLetters: [],
  profiles: [profile],
  input: { topic: 'in', partition: 0, nextOffset: '1' },
};

describe('topic messages of a batch', () => {
  it('send profiles keyed by user to the profiles topic, only when it is configured', () => {
    expect(toTopicMessages(batch, { scores: 's', deadLetters: 'd' }, 0)).toEqual([]);
    expect(toTopicMessages(batch, { scores: 's', deadLetters: 'd', profiles: 'p' }, 0)).toEqual([
      { topic: 'p', messages: [{ key: 'u1', value: JSON.stringify(profile) }] },
    ]);
  });
});
