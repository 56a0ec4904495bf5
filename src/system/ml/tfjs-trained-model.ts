import * as tf from '@tensorflow/tfjs';
import type { GraphInputs } from '../../actors/analytics/graph-samples.ts';
import { LabelClasses } from '../../actors/analytics/graph-samples.ts';
import type { ModelArch, ModelArtifacts, TrainedModel } from '../../actors/ports/model-backend.ts';
import { StreamForgeError, ErrorCodes, ValidationError } from '../../protocol/index.ts';
import { checkGraphInputs } from './check-graph-samples.ts';
import { batchInputs, batchOf } from './graph-batch.ts';
import { encodeLayersModel } from './model-artifacts-codec.ts';
import { METADATA_KEY } from './model-metadata.ts';
import type { ModelMetadata } from './model-metadata.ts';

/** Snapshots per forward pass when predicting: bounds the memory a long series takes at once. */
const PREDICT_BATCH = 256;

/** A trained (or loaded) tfjs layers model behind the `TrainedModel` port. */
export class TfjsTrainedModel implements TrainedModel {
  readonly arch: ModelArch;
  readonly metadata: ModelMetadata;
  readonly #model: tf.LayersModel;
  #disposed = false;

  constructor(model: tf.LayersModel, metadata: ModelMetadata) {
    this.arch = metadata.arch;
    this.metadata = metadata;
    this.#model = model;
    model.setUserDefinedMetadata({ [METADATA_KEY]: metadata });
  }

  predict(inputs: GraphInputs): Float32Array {
    this.#assertLive('predict');
    checkGraphInputs(inputs, 'inputs');
    if (inputs.features !== this.metadata.features) {
      throw new ValidationError(`inputs have ${inputs.features} features; this ${this.arch} model was trained on ${this.metadata.features}`);
    }
    const classes = LabelClasses.length;
    const out = new Float32Array(inputs.count * inputs.nodes * classes);
    const order = Int32Array.from({ length: inputs.count }, (_, i) => i);
    for (let from = 0; from < inputs.count; from += PREDICT_BATCH) {
      const snapshots = batchOf(order, from, from + PREDICT_BATCH);
      const probabilities = tf.tidy(() => (this.#model.apply(batchInputs(inputs, snapshots, this.#model), { training: false }) as tf.Tensor).dataSync());
      out.set(probabilities, from * inputs.nodes * classes);
    }
    return out;
  }

  serialize(): Promise<ModelArtifacts> {
    this.#assertLive('serialize');
    return encodeLayersModel(this.#model);
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#model.dispose();
  }

  #assertLive(operation: string): void {
    if (this.#disposed) throw new StreamForgeError(ErrorCodes.INTERNAL, `cannot ${operation}: this ${this.arch} model was disposed`);
  }
}
