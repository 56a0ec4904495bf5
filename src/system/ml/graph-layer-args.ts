import type * as tf from '@tensorflow/tfjs';

/** What every tfjs layer's constructor takes (name, trainable, …); tfjs does not export the type itself. */
export type LayerArgs = NonNullable<ConstructorParameters<typeof tf.layers.Layer>[0]>;

/** The keyword arguments tfjs passes to `Layer.call` (`training`, and ours: `dropoutSeed`). */
export type LayerKwargs = Parameters<tf.layers.Layer['call']>[1];

/** Shapes a layer is built with: one per input. */
export type LayerShape = Parameters<tf.layers.Layer['build']>[0];

/** Activations the graph layers accept (the output layer is linear: softmax comes after it). */
export const GraphActivations = ['relu', 'linear'] as const;
export type GraphActivation = (typeof GraphActivations)[number];

/** The package custom layers are registered under (`StreamForge>GcnConv`; a `model.json` names the class, `GcnConv`). */
export const LayerPackage = 'StreamForge';
