/**
 * The storefront's static assets, read once at start and served under content-hashed names
 * (`/assets/sale.3f2a9c1b0d.js`), so browsers and CDNs may keep them forever. No build step: an ES
 * module's relative imports (`from './lib.js'`) are rewritten to the hashed names of their targets
 * before the module's own hash is taken, so a change in any module changes every name that leads to it.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

export interface Asset {
  /** The file's own name, as pages refer to it: `sale.js`. */
  name: string;
  /** The name it is served under: `sale.3f2a9c1b0d.js`. */
  hashed: string;
  type: string;
  body: Buffer;
  gzip: Buffer;
  brotli: Buffer;
  etag: string;
}

export interface AssetSet {
  /** By hashed name, as requested under /assets/. */
  byHashed: Map<string, Asset>;
  /** `/assets/<hashed name>` of a file, by its own name; throws for an unknown file. */
  url(name: string): string;
}

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/** `from './x.js'`, `import './x.js'` and `import('./x.js')`: the only imports the modules use. */
const RELATIVE_IMPORT = /(\bfrom\s*|\bimport\s*\(?\s*)(['"])\.\/([\w.-]+\.js)\2/g;

export const ASSETS_DIR = new URL('./public/', import.meta.url);

export function loadAssets(dir: string | URL = ASSETS_DIR): AssetSet {
  const root = typeof dir === 'string' ? dir : fileURLToPath(dir);
  const sources = new Map<string, string>();
  for (const name of readdirSync(root)) {
    if (TYPES[extname(name)] !== undefined) sources.set(name, readFileSync(join(root, name), 'utf8'));
  }

  const byName = new Map<string, Asset>();
  const visiting = new Set<string>();
  const build = (name: string): Asset => {
    const done = byName.get(name);
    if (done !== undefined) return done;
    const source = sources.get(name);
    if (source === undefined) throw new Error(`web asset ${name} does not exist in ${root}`);
    if (visiting.has(name)) throw new Error(`web assets import each other in a cycle through ${name}`);
    visiting.add(name);
    const text =
      extname(name) === '.js'
        ? source.replace(RELATIVE_IMPORT, (_m, lead: string, quote: string, target: string) => {
            return `${lead}${quote}./${build(target).hashed}${quote}`;
          })
        : source;
    visiting.delete(name);
    const body = Buffer.from(text);
    const hash = createHash('sha256').update(body).digest('hex').slice(0, 10);
    const ext = extname(name);
    const asset: Asset = {
      name,
      hashed: `${name.slice(0, -ext.length)}.${hash}${ext}`,
      type: TYPES[ext] as string,
      body,
      gzip: gzipSync(body, { level: 9 }),
      brotli: brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }),
      etag: `"${hash}"`,
    };
    byName.set(name, asset);
    return asset;
  };
  for (const name of sources.keys()) build(name);

  return {
    byHashed: new Map([...byName.values()].map((a) => [a.hashed, a])),
    url(name) {
      const asset = byName.get(name);
      if (asset === undefined) throw new Error(`web asset ${name} does not exist in ${root}`);
      return `/assets/${asset.hashed}`;
    },
  };
}
