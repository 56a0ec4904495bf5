import * as tf from '@tensorflow/tfjs';
import type { ModelArtifacts } from '../../actors/ports/model-backend.ts';
import { ValidationError } from '../../protocol/index.ts';

/** The weights file a `model.json` names in its manifest (beside it, as tfjs's own savers write it). */
export const WEIGHTS_FILE = 'weights.bin';

/** A layers model as tfjs's files: `model.json` (topology and weights manifest) and the weights binary. */
export async function encodeLayersModel(model: tf.LayersModel): Promise<ModelArtifacts> {
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler((artifacts) => {
      saved = artifacts;
      return Promise.resolve({ modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) });
    }),
  );
  if (saved?.modelTopology === undefined || saved.weightSpecs === undefined || saved.weightData === undefined) {
    throw new TypeError('tfjs saved a model without topology or weights');
  }
  const modelJson: tf.io.ModelJSON = {
    format: saved.format ?? 'layers-model',
    generatedBy: saved.generatedBy ?? `TensorFlow.js tfjs-layers v${tf.version_layers}`,
    convertedBy: saved.convertedBy ?? null,
    modelTopology: saved.modelTopology,
    weightsManifest: [{ paths: [WEIGHTS_FILE], weights: saved.weightSpecs }],
    ...(saved.userDefinedMetadata !== undefined ? { userDefinedMetadata: saved.userDefinedMetadata } : {}),
  };
  const weights = tf.io.concatenateArrayBuffers(Array.isArray(saved.weightData) ? saved.weightData : [saved.weightData]);
  return { modelJson: JSON.stringify(modelJson), weights: new Uint8Array(weights) };
}

/**
 * Files back into what `tf.loadLayersModel(tf.io.fromMemory(…))` takes, refusing a `model.json` that is
 * not a tfjs layers model or whose manifest does not describe exactly the bytes given.
 */
export function decodeModelArtifacts(artifacts: ModelArtifacts): tf.io.ModelArtifacts {
  let parsed: unknown;
  try {
    parsed = JSON.parse(artifacts.modelJson);
  } catch (err) {
    throw new ValidationError(`model.json is not JSON: ${(err as Error).message}`, { cause: err });
  }
  if (!isModelJson(parsed)) {
    throw new ValidationError("model.json is not a tfjs layers model: expected format 'layers-model' with modelTopology and weightsManifest");
  }
  const specs = parsed.weightsManifest.flatMap((group) => group.weights);
  const expected = specs.reduce((bytes, spec) => bytes + byteSize(spec), 0);
  if (expected !== artifacts.weights.byteLength) {
    throw new ValidationError(`the weights binary has ${artifacts.weights.byteLength} bytes where model.json's manifest describes ${expected}`);
  }
  // A Uint8Array may be a view into a larger (pooled) buffer: copy exactly its bytes.
  const { buffer, byteOffset, byteLength } = artifacts.weights;
  const weightData = buffer.slice(byteOffset, byteOffset + byteLength) as ArrayBuffer;
  return tf.io.getModelArtifactsForJSONSync(parsed, specs, weightData);
}

function isModelJson(value: unknown): value is tf.io.ModelJSON & { weightsManifest: tf.io.WeightsManifestConfig } {
  if (typeof value !== 'object' || value === null) return false;
  const json = value as Record<string, unknown>;
  return (
    json['format'] === 'layers-model' &&
    typeof json['modelTopology'] === 'object' &&
    json['modelTopology'] !== null &&
    Array.isArray(json['weightsManifest']) &&
    json['weightsManifest'].every((group: unknown) => typeof group === 'object' && group !== null && Array.isArray((group as Record<string, unknown>)['weights']))
  );
}

const BYTES_PER_VALUE = { float32: 4, int32: 4, bool: 1 } as const;

function byteSize(spec: tf.io.WeightsManifestEntry): number {
  if (spec.quantization !== undefined || !(spec.dtype in BYTES_PER_VALUE)) {
    throw new ValidationError(`model.json weight ${spec.name} has dtype ${spec.dtype}${spec.quantization !== undefined ? ' (quantised)' : ''}: only float32, int32 and bool weights are read`);
  }
  return spec.shape.reduce((n, d) => n * d, 1) * BYTES_PER_VALUE[spec.dtype as keyof typeof BYTES_PER_VALUE];
}
