/** The exhaustive `default:` of a switch over a union: a compile error when a case is missing, a loud error if one slips through at run time. */
export function assertNever(value: never, what = 'value'): never {
  throw new Error(`unexpected ${what} ${JSON.stringify(value)}`);
}
