import type { FastifySchemaCompiler } from 'fastify';
import type { z } from 'zod';
import { ValidationError } from '../../protocol/index.ts';

/** Parses with a zod schema; on failure one ValidationError naming every bad field and what is accepted. */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.flatMap((issue) => {
    // A union reports one branch per shape; show the branch that got furthest.
    if (issue.code === 'invalid_union' && 'errors' in issue && Array.isArray(issue.errors)) {
      const branches = issue.errors as Array<Array<{ path: PropertyKey[]; message: string }>>;
      const best = [...branches].sort((a, b) => a.length - b.length)[0] ?? [];
      return best.map((i) => describe(i.path, i.message));
    }
    return [describe(issue.path, issue.message)];
  });
  throw new ValidationError(`invalid ${what}: ${issues.join('; ')}`);
}

function describe(path: readonly PropertyKey[], message: string): string {
  return path.length > 0 ? `${path.map(String).join('.')}: ${message}` : message;
}

const PART_NAMES: Readonly<Record<string, string>> = { body: 'body', querystring: 'query', params: 'path', headers: 'headers' };

/**
 * Fastify's validator for every route: the route's zod schema parses (and transforms) the request
 * part; a failure is a ValidationError in the house wording, answered 400 `{code, message}`.
 */
export const zodValidatorCompiler: FastifySchemaCompiler<z.ZodType> = ({ schema, httpPart }) => {
  const what = PART_NAMES[httpPart ?? 'body'] ?? 'request';
  return (data: unknown) => {
    // A route with a body schema sent no body: say so rather than "expected object, received undefined".
    if (what === 'body' && data === undefined) return { error: new ValidationError('invalid body: body is empty; expected a JSON object') };
    try {
      return { value: parseOrThrow(schema, data, what) };
    } catch (err) {
      return { error: err as ValidationError };
    }
  };
};
