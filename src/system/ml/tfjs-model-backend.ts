import * as tf from '@tensorflow/tfjs';
import type { GraphSamples } from '../../actors/analytics/graph-samples.ts';
import { LabelClasses } from '../../actors/analytics/graph-samples.ts';
import type {
  FitOptions,
  FitResult,
  ModelArch,
  ModelArtifacts,
  ModelBackend,
  ModelBackendName,
  ModelHyperparameters,
  TrainedModel,
} from '../../actors/ports/model-backend.ts';
import { ErrorCodes, StreamForgeError, ValidationError } from '../../protocol/index.ts';
import { buildModel } from './build-model.ts';
import { checkGraphSamples } from './check-graph-samples.ts';
import { checkHyperparameters } from './check-hyperparameters.ts';
import { decodeModelArtifacts } from './model-artifacts-codec.ts';
import { METADATA_KEY, ModelMetadata } from './model-metadata.ts';
import { TfjsTrainedModel } from './tfjs-trained-model.ts';
import { trainModel } from './train-model.ts';

/**
 * Trains and loads the graph models with TensorFlow.js on the backend the composition root
 * initialised ({@link createModelBackend}); tfjs has one active backend per process.
 */
export class TfjsModelBackend implements ModelBackend {
  readonly name: ModelBackendName;

  constructor(name: ModelBackendName) {
    this.name = name;
  }

  async fit(params: ModelHyperparameters, train: GraphSamples, val: GraphSamples, options: FitOptions = {}): Promise<FitResult> {
    this.#assertActive();
    checkHyperparameters(params);
    checkGraphSamples(train, 'train');
    checkGraphSamples(val, 'val');
    if (train.features !== val.features) {
      throw new ValidationError(`train has ${train.features} features and val ${val.features}: both need the same features`);
    }
    const built = buildModel(params, train.features);
    try {
      const { history, bestEpoch } = await trainModel(built, params, train, val, options);
      const metadata: ModelMetadata = {
        arch: params.arch,
        backend: this.name,
        features: train.features,
        labelClasses: [...LabelClasses],
        hyperparameters: { ...params },
      };
      return { model: new TfjsTrainedModel(built.model, metadata), history, bestEpoch };
    } catch (err) {
      built.model.dispose();
      throw err;
    }
  }

  async load(arch: ModelArch, artifacts: ModelArtifacts): Promise<TrainedModel> {
    this.#assertActive();
    const model = await tf.loadLayersModel(tf.io.fromMemory(decodeModelArtifacts(artifacts)));
    const parsed = ModelMetadata.safeParse((model.getUserDefinedMetadata() as Readonly<Record<string, unknown>> | undefined)?.[METADATA_KEY]);
    if (!parsed.success || parsed.data.arch !== arch) {
      model.dispose();
      throw new ValidationError(
        parsed.success
          ? `the artifacts hold a ${parsed.data.arch} model, not ${arch}`
          : `model.json has no valid userDefinedMetadata.${METADATA_KEY} (arch, backend, features, labelClasses): not a StreamForge model`,
        parsed.success ? {} : { cause: parsed.error },
      );
    }
    return new TfjsTrainedModel(model, parsed.data);
  }

  memory(): { readonly numTensors: number; readonly numBytes: number } {
    const { numTensors, numBytes } = tf.memory();
    return { numTensors, numBytes };
  }

  #assertActive(): void {
    const active = tf.getBackend();
    if (active !== this.name) {
      throw new StreamForgeError(
        ErrorCodes.INTERNAL,
        `the tfjs backend of this process is '${active}', not '${this.name}': something switched it; StreamForge uses one backend per process`,
      );
    }
  }
}
