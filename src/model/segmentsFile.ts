import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { ModelLoadError } from './modelFolder.js';

/**
 * segments.json in a model folder: the user segments fitted on that model's embeddings. It is a file
 * of its own so that seqscore.json keeps its format, and so that segments can be refitted without
 * touching the weights. Segments belong to one model version: another model's embeddings live in
 * another space, so a file whose modelVersion differs is refused.
 */
export const SEGMENTS_FILE = 'segments.json';

const weightedShare = z.object({ name: z.string(), share: z.number() });

export const segmentDescriptionSchema = z.object({
  id: z.number().int().nonnegative(),
  size: z.number().int().nonnegative(),
  /** size / users */
  share: z.number(),
  /** Categories by share of the segment's events, largest first. */
  dominantCategories: z.array(weightedShare),
  /** Share of the segment's events per action, in vocabulary order. */
  actionMix: z.array(weightedShare),
  /** Share of the segment's users with at least one conversion event. */
  conversionRate: z.number(),
});

export const segmentsSchema = z.object({
  formatVersion: z.literal(1),
  modelVersion: z.string(),
  createdAt: z.string(),
  seed: z.number().int(),
  k: z.number().int().positive(),
  /** How k was chosen: given, or the best silhouette over a range. */
  chosenBy: z.enum(['config', 'silhouette']),
  /** Mean silhouette of the fitted clustering (on a sample for large user bases); null for k = 1. */
  silhouette: z.number().nullable(),
  /** Silhouette of every k tried, when k was chosen by silhouette. */
  tried: z.array(z.object({ k: z.number().int(), silhouette: z.number() })),
  conversionAction: z.string(),
  users: z.number().int().nonnegative(),
  centroids: z.array(z.array(z.number())).min(1),
  segments: z.array(segmentDescriptionSchema),
});

export type SegmentDescription = z.infer<typeof segmentDescriptionSchema>;
export type Segments = z.infer<typeof segmentsSchema>;

/** Writes segments.json next to the model's files; a reader never sees half a file. */
export async function saveSegments(folder: string, segments: Segments): Promise<void> {
  const path = join(folder, SEGMENTS_FILE);
  const staging = `${path}.staging-${process.pid}-${Date.now()}`;
  await writeFile(staging, `${JSON.stringify(segments, null, 2)}\n`);
  await rename(staging, path);
}

/** The folder's segments, or undefined when it has none; refuses those of another model version. */
export async function loadSegments(folder: string, modelVersion: string): Promise<Segments | undefined> {
  const path = join(folder, SEGMENTS_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ModelLoadError(`cannot read ${path}: ${(error as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ModelLoadError(`${path} is not JSON: ${(error as Error).message}`);
  }
  const parsed = segmentsSchema.safeParse(value);
  if (!parsed.success) throw new ModelLoadError(`${path} is not a segments file: ${parsed.error.message}`);
  if (parsed.data.modelVersion !== modelVersion) {
    throw new ModelLoadError(
      `${path} was fitted for model ${parsed.data.modelVersion}, not ${modelVersion}: fit the segments again`,
    );
  }
  return parsed.data;
}
