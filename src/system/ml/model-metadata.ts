import { z } from 'zod';
import { LabelClasses } from '../../actors/analytics/graph-samples.ts';
import { ModelArchs, ModelBackendNames } from '../../actors/ports/model-backend.ts';

/**
 * What a saved model says about itself in its `model.json` (`userDefinedMetadata.streamforge`): its
 * architecture, the backend it was trained on (results agree across backends to ~1e-7 only), the
 * feature count and class order it expects, and the hyperparameters it was trained with.
 */
export const ModelMetadata = z.object({
  arch: z.enum(ModelArchs),
  backend: z.enum(ModelBackendNames),
  features: z.number().int().positive(),
  labelClasses: z
    .array(z.enum(LabelClasses))
    .refine((classes) => classes.join() === LabelClasses.join(), { error: `label classes must be ${LabelClasses.join(', ')} in this order` }),
  hyperparameters: z.record(z.string(), z.union([z.string(), z.number()])),
});
export type ModelMetadata = z.infer<typeof ModelMetadata>;

/** The key under `userDefinedMetadata` that holds {@link ModelMetadata}. */
export const METADATA_KEY = 'streamforge';
