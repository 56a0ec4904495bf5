import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { protocolJsonSchemas } from '../../protocol/index.ts';
import { writeLine } from './cli-io.ts';
import { Text } from './cli-args.ts';
import { defineCommand } from './command.ts';

export const SCHEMAS_USAGE = `Usage: streamforge schemas [--out DIR]
  Writes every wire message's JSON Schema (derived from the zod schemas of src/protocol), one file each
  into DIR, or all as one JSON object on stdout.`;

/** `streamforge schemas [--out DIR]`: the wire schemas as JSON Schema. */
export const schemasCommand = defineCommand({
  name: 'schemas',
  usage: SCHEMAS_USAGE,
  options: { out: { type: 'string' } },
  schema: z.object({ positionals: z.array(z.string()).max(0, { error: 'schemas takes no positional arguments' }), values: z.object({ out: Text }) }),
  async run({ values }, io) {
    const schemas = protocolJsonSchemas();
    if (values.out === undefined) {
      io.out.write(`${JSON.stringify(schemas, null, 2)}\n`);
      return 0;
    }
    await mkdir(values.out, { recursive: true });
    for (const [name, schema] of Object.entries(schemas)) {
      await writeFile(join(values.out, `${name}.schema.json`), `${JSON.stringify(schema, null, 2)}\n`);
    }
    writeLine(io.err, `wrote ${Object.keys(schemas).length} schemas to ${values.out}`);
    return 0;
  },
});
