export * from './create-model-backend.ts';
export * from './tfjs-model-backend.ts';
export * from './tfjs-trained-model.ts';
export * from './model-metadata.ts';
export * from './model-artifacts-codec.ts';
// The custom layers register themselves with tfjs's serialisation when imported: a saved model needs
// them to load, also through tfjs's own `tf.loadLayersModel`.
export * from './gcn-normalization.ts';
export * from './gcn-conv.ts';
export * from './gatv2-conv.ts';
export * from './seeded-dropout.ts';
