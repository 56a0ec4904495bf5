// Prints an image's id, its size, and each layer above its base with the instruction that made it,
// from buildah's own store (vfs): `node scripts/image/image-report.ts --store DIR --image NAME --base NAME [--json]`.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, lstatSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

interface HistoryEntry {
  readonly created_by?: string;
  readonly empty_layer?: boolean;
}
interface InspectedImage {
  readonly FromImageID: string;
  readonly Docker: { readonly rootfs: { readonly diff_ids: readonly string[] }; readonly history?: readonly HistoryEntry[] };
}
interface StoredLayer {
  readonly 'diff-digest'?: string;
  readonly 'diff-size'?: number;
}

export interface LayerReport {
  readonly bytes: number;
  readonly createdBy: string;
}
export interface ImageReport {
  readonly image: string;
  readonly id: string;
  readonly bytes: number;
  readonly baseBytes: number;
  readonly layers: readonly LayerReport[];
}

/** What `/app` holds: its entries and the largest packages of its node_modules, in bytes of file content. */
export interface AppContents {
  readonly entries: ReadonlyArray<readonly [string, number]>;
  readonly packages: ReadonlyArray<readonly [string, number]>;
}

function buildah(store: string, args: readonly string[]): string {
  return execFileSync('buildah', ['--root', join(store, 'storage'), '--runroot', join(store, 'run'), '--storage-driver', 'vfs', ...args], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  }).trim();
}

function inspect(store: string, image: string): InspectedImage {
  return JSON.parse(buildah(store, ['inspect', '--type', 'image', image])) as InspectedImage;
}

function bytesUnder(path: string): number {
  const stat = lstatSync(path);
  if (!stat.isDirectory()) return stat.isFile() ? stat.size : 0;
  return readdirSync(path).reduce((n, name) => n + bytesUnder(join(path, name)), 0);
}

/** Opens a working container of the image (vfs copies it: seconds) and sizes what `/app` holds. */
export function appContents(store: string, image: string, top = 8): AppContents {
  const ctr = buildah(store, ['from', '--pull=false', image]);
  try {
    const app = join(buildah(store, ['mount', ctr]), 'app');
    const sized = (dir: string, names: readonly string[]) =>
      names.map((name) => [name, bytesUnder(join(dir, name))] as const).sort((a, b) => b[1] - a[1]);
    const modules = join(app, 'node_modules');
    const packages = readdirSync(modules).flatMap((name) => (name.startsWith('@') ? readdirSync(join(modules, name)).map((p) => `${name}/${p}`) : [name]));
    return { entries: sized(app, readdirSync(app)), packages: sized(modules, packages).slice(0, top) };
  } finally {
    buildah(store, ['rm', ctr]);
  }
}

/** The layers of `image` above those of `base`, sized from the store's layer index. */
export function imageReport(store: string, image: string, base: string): ImageReport {
  const layers = JSON.parse(readFileSync(join(store, 'storage', 'vfs-layers', 'layers.json'), 'utf8')) as StoredLayer[];
  const sizeOf = new Map(layers.map((l) => [l['diff-digest'], l['diff-size'] ?? 0]));
  const inspected = inspect(store, image);
  const baseIds = inspect(store, base).Docker.rootfs.diff_ids;
  const diffIds = inspected.Docker.rootfs.diff_ids;
  const made = (inspected.Docker.history ?? []).filter((h) => h.empty_layer !== true).map((h) => h.created_by ?? '');
  // The history's layer-making entries line up with the layers, oldest first.
  const offset = made.length - diffIds.length;
  const above = diffIds.slice(baseIds.length).map((id, i) => ({
    bytes: sizeOf.get(id) ?? 0,
    createdBy: describe(made[baseIds.length + i + offset] ?? ''),
  }));
  const baseBytes = baseIds.reduce((n, id) => n + (sizeOf.get(id) ?? 0), 0);
  return { image, id: inspected.FromImageID, bytes: baseBytes + above.reduce((n, l) => n + l.bytes, 0), baseBytes, layers: above };
}

function describe(createdBy: string): string {
  const text = createdBy.replace(/^\/bin\/sh -c (#\(nop\) )?/, '').replace(/\s+/g, ' ').trim();
  return text.length > 110 ? `${text.slice(0, 107)}...` : text;
}

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

if (import.meta.main) {
  const { values } = parseArgs({
    options: { store: { type: 'string' }, image: { type: 'string' }, base: { type: 'string' }, contents: { type: 'boolean' }, json: { type: 'boolean' } },
  });
  if (!values.store || !values.image || !values.base) {
    console.error('usage: image-report.ts --store DIR --image NAME --base NAME [--contents] [--json]');
    process.exit(2);
  }
  const report = imageReport(values.store, values.image, values.base);
  const contents = values.contents ? appContents(values.store, values.image) : undefined;
  if (values.json) console.log(JSON.stringify({ ...report, ...(contents ? { contents } : {}) }, null, 2));
  else {
    console.log(`image ${report.image}`);
    console.log(`id    ${report.id}`);
    console.log(`size  ${mb(report.bytes)}: base ${values.base} ${mb(report.baseBytes)}, above it ${mb(report.bytes - report.baseBytes)}`);
    console.log(report.layers.length === 1 ? 'layer above the base (built without --layers: one for the stage)' : 'layers above the base');
    for (const layer of report.layers) console.log(`  ${mb(layer.bytes).padStart(9)}  ${layer.createdBy}`);
    if (contents) {
      console.log('/app holds');
      for (const [name, bytes] of contents.entries) console.log(`  ${mb(bytes).padStart(9)}  ${name}`);
      console.log('largest packages in /app/node_modules');
      for (const [name, bytes] of contents.packages) console.log(`  ${mb(bytes).padStart(9)}  ${name}`);
    }
  }
}
