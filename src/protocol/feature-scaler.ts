import { z } from 'zod';

/**
 * A z-score normalisation fitted on a training period, stored with the model so that predictions
 * normalise new snapshots exactly as training did: x' = (x − mean) / std, per feature.
 */
export const FeatureScalerState = z
  .object({
    features: z.array(z.string().min(1)).min(1),
    mean: z.array(z.number()),
    std: z.array(z.number().positive()),
  })
  .refine((s) => s.mean.length === s.features.length && s.std.length === s.features.length, {
    error: 'mean and std need one value per feature',
  });
export type FeatureScalerState = z.infer<typeof FeatureScalerState>;
