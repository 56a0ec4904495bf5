import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { protocolJsonSchemas } from '../../protocol/index.ts';
import type { CliIo } from './cli-io.ts';
import { writeLine } from './cli-io.ts';
import { parseCli } from './cli-args.ts';

/** `streamforge schemas [--out DIR]`: the wire schemas as JSON Schema, one file each (or all on stdout). */
export async function schemasCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseCli(argv, { out: { type: 'string' } });
  const schemas = protocolJsonSchemas();
  if (!values.out) {
    io.out.write(`${JSON.stringify(schemas, null, 2)}\n`);
    return 0;
  }
  await mkdir(values.out, { recursive: true });
  for (const [name, schema] of Object.entries(schemas)) {
    await writeFile(join(values.out, `${name}.schema.json`), `${JSON.stringify(schema, null, 2)}\n`);
  }
  writeLine(io.err, `wrote ${Object.keys(schemas).length} schemas to ${values.out}`);
  return 0;
}
