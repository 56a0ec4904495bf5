import type { ChaosExperiment } from '../chaos-experiment.ts';
import { brokerLoss } from './broker-loss.ts';
import { exchangeFaults } from './exchange-faults.ts';
import { managerLoss } from './manager-loss.ts';
import { network } from './network.ts';
import { stageKill } from './stage-kill.ts';
import { stall } from './stall.ts';
import { storeFaults } from './store-faults.ts';

/** Every experiment `npm run chaos` runs, in this order. Append new ones here. */
export const experiments: readonly ChaosExperiment[] = [stageKill, stall, network, brokerLoss, managerLoss, exchangeFaults, storeFaults];
