import { z } from 'zod';

/**
 * What seqscore stores beside the TensorFlow.js artifacts: enough to refuse a model that does not fit
 * the running configuration, and to label every score with the version that produced it.
 */
export const modelMetadataSchema = z.object({
  formatVersion: z.literal(1),
  version: z.string().min(1),
  architecture: z.literal('gru'),
  actions: z.array(z.string().min(1)).min(1),
  maxSequenceLength: z.number().int().positive(),
  hiddenUnits: z.number().int().positive(),
  churnHorizonMs: z.number().int().positive(),
  createdAt: z.string(),
  training: z.object({
    source: z.string(),
    events: z.number().int().nonnegative(),
    examples: z.number().int().nonnegative(),
    epochs: z.number().int().nonnegative(),
    seed: z.number().int(),
    finalLoss: z.number().nullable(),
  }),
});

export type ModelMetadata = z.infer<typeof modelMetadataSchema>;
