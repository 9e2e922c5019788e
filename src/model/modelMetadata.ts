import { z } from 'zod';
import { ARCHITECTURES } from './encoders.js';

/**
 * seqscore.json, beside weights.bin: everything needed to rebuild the model (its configuration,
 * vocabularies and weight manifest), to refuse one that does not fit the running configuration, and
 * to label every score with the version that produced it.
 */
const idVocabulary = z.object({ frequent: z.array(z.string()), buckets: z.number().int().positive() });

export const modelMetadataSchema = z.object({
  formatVersion: z.literal(2),
  version: z.string().min(1),
  createdAt: z.string(),
  model: z.object({
    architecture: z.enum(ARCHITECTURES),
    hiddenSize: z.number().int().positive(),
    itemEmbeddingSize: z.number().int().positive(),
    categoryEmbeddingSize: z.number().int().positive(),
    actionEmbeddingSize: z.number().int().positive(),
    hourEmbeddingSize: z.number().int().positive(),
    maxLength: z.number().int().positive(),
  }),
  vocabularies: z.object({
    actions: z.array(z.string().min(1)).min(1),
    items: idVocabulary,
    categories: idVocabulary,
  }),
  churnHorizonMs: z.number().int().positive(),
  /** Per-action multipliers applied before the argmax when a single predicted action is wanted. */
  decisionWeights: z.array(z.number()),
  weights: z.array(
    z.object({ name: z.string(), shape: z.array(z.number().int().nonnegative()), dtype: z.string() }),
  ),
  training: z.object({
    source: z.string(),
    events: z.number().int().nonnegative(),
    testFrom: z.string(),
    validFrom: z.string(),
    seed: z.number().int(),
    bestEpoch: z.number().int().nonnegative(),
    epochs: z.array(z.record(z.string(), z.unknown())),
    options: z.record(z.string(), z.unknown()),
  }),
});

export type ModelMetadata = z.infer<typeof modelMetadataSchema>;
