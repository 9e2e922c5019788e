import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/events/random.js';
import { assignSegment, describeSegments, fitSegments, kMeans } from '../../src/insights/segments.js';
import { ModelLoadError } from '../../src/model/modelFolder.js';
import { loadSegments, SEGMENTS_FILE, saveSegments } from '../../src/model/segmentsFile.js';
import { ACTIONS, event } from './fixtures.js';

/** Users around `centres` with a little noise; the users of centre c view category `c<c>`. */
function blobs(centres: number[][], perCentre: number, seed: number) {
  const random = seededRandom(seed);
  const embeddings: Float32Array[] = [];
  const histories: ReturnType<typeof event>[][] = [];
  centres.forEach((centre, c) => {
    for (let u = 0; u < perCentre; u++) {
      embeddings.push(Float32Array.from(centre, (v) => v + (random() - 0.5) * 0.2));
      const user = `c${c}-u${u}`;
      const history = [event(user, 0, 'view', 'i', `cat${c}`), event(user, 1, 'cart', 'i', `cat${c}`)];
      // Only the users of the first centre buy.
      if (c === 0) history.push(event(user, 2, 'purchase', 'i', `cat${c}`));
      histories.push(history);
    }
  });
  return { embeddings, histories };
}

const centres = [
  [0, 0, 0],
  [5, 5, 0],
  [0, 5, 5],
];
const base = { seed: 11, modelVersion: 'm1', actions: ACTIONS };

describe('segments', () => {
  const { embeddings, histories } = blobs(centres, 20, 1);

  it('chooses k by silhouette and finds well-separated groups', () => {
    const segments = fitSegments(embeddings, histories, { ...base, kRange: [2, 6] });
    expect(segments.k).toBe(3);
    expect(segments.chosenBy).toBe('silhouette');
    expect(segments.tried.map((t) => t.k)).toEqual([2, 3, 4, 5, 6]);
    expect(segments.silhouette).toBeGreaterThan(0.8);
    // Each blob is one segment: same segment within a blob, different across blobs.
    const of = (u: number) => assignSegment(segments, embeddings[u] as Float32Array);
    expect(new Set([0, 5, 19].map(of)).size).toBe(1);
    expect(new Set([0, 20, 40].map(of)).size).toBe(3);
  });

  it('describes each segment by size, dominant categories, action mix and conversion', () => {
    const segments = fitSegments(embeddings, histories, { ...base, k: 3 });
    expect(segments.chosenBy).toBe('config');
    const buyers = segments.segments[assignSegment(segments, embeddings[0] as Float32Array)];
    expect(buyers).toMatchObject({ size: 20, conversionRate: 1 });
    expect(buyers?.share).toBeCloseTo(1 / 3);
    expect(buyers?.dominantCategories).toEqual([{ name: 'cat0', share: 1 }]);
    expect(buyers?.actionMix.map((a) => a.name)).toEqual(ACTIONS);
    expect(buyers?.actionMix.find((a) => a.name === 'purchase')?.share).toBeCloseTo(1 / 3);
    const other = segments.segments[assignSegment(segments, embeddings[30] as Float32Array)];
    expect(other?.conversionRate).toBe(0);
  });

  it('is deterministic for a seed', () => {
    const a = fitSegments(embeddings, histories, { ...base, kRange: [2, 5] });
    const b = fitSegments(embeddings, histories, { ...base, kRange: [2, 5] });
    expect(b.centroids).toEqual(a.centroids);
    expect(b.segments).toEqual(a.segments);
  });

  it('describes fitted segments again for other users', () => {
    const segments = fitSegments(embeddings, histories, { ...base, k: 3 });
    const again = describeSegments(segments, embeddings.slice(0, 20), histories.slice(0, 20));
    expect(again.users).toBe(20);
    expect(again.segments.map((s) => s.size).sort()).toEqual([0, 0, 20]);
    expect(again.centroids).toEqual(segments.centroids);
  });

  it('refuses impossible settings with a clear error', () => {
    expect(() => fitSegments(embeddings, histories, { ...base, k: 61 })).toThrow(
      /between 1 and the number of users/,
    );
    expect(() => fitSegments(embeddings, histories, { ...base, kRange: [1, 3] })).toThrow(/k range/);
    expect(() =>
      fitSegments(embeddings.slice(0, 2), histories.slice(0, 2), { ...base, kRange: [2, 4] }),
    ).toThrow(/too few/);
    expect(() => fitSegments(embeddings, histories, { ...base, k: 2, conversionAction: 'buy' })).toThrow(
      /conversion action/,
    );
    expect(() => assignSegment({ centroids: [[0, 0]] }, [1, 2, 3])).toThrow(/3 values/);
  });

  it('k-means keeps k clusters when points repeat', () => {
    const same = Array.from({ length: 6 }, (_, i) => Float32Array.from([i < 3 ? 0 : 1, 0]));
    const clustering = kMeans(same, 2, seededRandom(3));
    expect(new Set(clustering.assignments).size).toBe(2);
    expect(clustering.inertia).toBe(0);
  });
});

describe('segments.json', () => {
  it('round-trips and refuses segments of another model version or a malformed file', async () => {
    const { embeddings, histories } = blobs(centres, 5, 2);
    const segments = fitSegments(embeddings, histories, { ...base, k: 3 });
    const folder = mkdtempSync(join(tmpdir(), 'seqscore-segments-'));
    expect(await loadSegments(folder, 'm1')).toBeUndefined();
    await saveSegments(folder, segments);
    expect(await loadSegments(folder, 'm1')).toEqual(segments);
    await expect(loadSegments(folder, 'm2')).rejects.toThrow(/fitted for model m1, not m2/);
    writeFileSync(join(folder, SEGMENTS_FILE), '{"formatVersion": 1}');
    await expect(loadSegments(folder, 'm1')).rejects.toBeInstanceOf(ModelLoadError);
  });
});
