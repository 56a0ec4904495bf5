/** JSON.parse that answers undefined for text that is not JSON: the zod schema then says what is wrong. */
export function parseJsonOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
