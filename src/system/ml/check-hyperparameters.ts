import { z } from 'zod';
import type { ModelHyperparameters } from '../../actors/ports/model-backend.ts';
import { ModelArchs } from '../../actors/ports/model-backend.ts';
import { ValidationError } from '../../protocol/index.ts';

const HyperparametersSchema = z
  .object({
    arch: z.enum(ModelArchs),
    hidden: z.number().int().min(1).max(4096),
    heads: z.number().int().min(1).max(64),
    dropout: z.number().min(0).lt(1),
    learningRate: z.number().gt(0).max(10),
    epochs: z.number().int().min(1).max(100_000),
    patience: z.number().int().min(1),
    batchSize: z.number().int().min(1).max(1_000_000),
    seed: z.number().int().refine(Number.isSafeInteger, { error: 'seed must be a safe integer' }),
  })
  .refine((p) => p.arch !== 'gatv2' || p.hidden % p.heads === 0, {
    error: 'gatv2 splits hidden units among heads: hidden must be a multiple of heads',
    path: ['hidden'],
  });

/** Refuses hyperparameters a model cannot be built or trained with, naming every one that is wrong and what is accepted. */
export function checkHyperparameters(params: ModelHyperparameters): void {
  const parsed = HyperparametersSchema.safeParse(params);
  if (!parsed.success) {
    throw new ValidationError(`invalid model hyperparameters:\n${z.prettifyError(parsed.error)}`, { cause: parsed.error });
  }
}
