import { ValidationError } from '../../protocol/index.ts';

/** Shares of the labelled snapshots, in time order. @defaultValue 0.7 / 0.15 / 0.15 */
export interface SplitShares {
  readonly train: number;
  readonly val: number;
  readonly test: number;
}

export const DEFAULT_SPLIT: SplitShares = { train: 0.7, val: 0.15, test: 0.15 };

/** A part as a half-open range of snapshot indices. */
export interface SplitPart {
  readonly start: number;
  readonly end: number;
}

export interface PurgedSplit {
  readonly train: SplitPart;
  readonly val: SplitPart;
  readonly test: SplitPart;
  /** Snapshots dropped between two parts. */
  readonly gap: number;
}

function partSizes(usable: number, shares: SplitShares): [number, number, number] {
  const train = Math.floor(usable * shares.train);
  const val = Math.floor(usable * shares.val);
  return [train, val, usable - train - val];
}

/** Fewest labelled snapshots that leave every part at least one after two gaps of `gap`. */
export function minimumLabelled(gap: number, shares: SplitShares): number {
  let usable = 3;
  while (partSizes(usable, shares).some((size) => size < 1)) usable += 1;
  return usable + 2 * gap;
}

/**
 * Splits `labelled` snapshots (indices 0…labelled−1, in time order) into train, validation and test,
 * dropping `gap` snapshots between consecutive parts. With gap ≥ window + horizon, no label of a
 * part reads a return that a feature (correlation window included) of the next part reads.
 */
export function purgedSplit(labelled: number, gap: number, shares: SplitShares = DEFAULT_SPLIT): PurgedSplit {
  const total = shares.train + shares.val + shares.test;
  if (![shares.train, shares.val, shares.test].every((s) => s > 0) || Math.abs(total - 1) > 1e-9) {
    throw new ValidationError(`split shares must be positive and sum to 1, got ${shares.train}/${shares.val}/${shares.test}`);
  }
  const minimum = minimumLabelled(gap, shares);
  if (labelled < minimum) {
    throw new ValidationError(
      `too few snapshots to split: ${labelled} labelled, at least ${minimum} needed (two purge gaps of ${gap} and one per part)`,
      { details: { labelled, minimum } },
    );
  }
  const [train, val] = partSizes(labelled - 2 * gap, shares);
  const valStart = train + gap;
  const testStart = valStart + val + gap;
  return { train: { start: 0, end: train }, val: { start: valStart, end: valStart + val }, test: { start: testStart, end: labelled }, gap };
}
