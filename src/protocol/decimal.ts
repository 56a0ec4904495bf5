import { z } from 'zod';

/** A decimal kept as the exchange wrote it: some volumes have more digits than a float64 holds. */
export const Decimal = z.string().regex(/^-?\d+(\.\d+)?$/, { error: 'expected a decimal string such as "67012.34000000"' });
export type Decimal = z.infer<typeof Decimal>;
