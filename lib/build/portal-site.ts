import * as path from 'node:path';
import { BUNDLE_CACHE_DIR, cachedBuild } from './bundles';

/** The portal's sources (its build recipe is portal/build.ts). */
export const PORTAL_ROOT = path.join(__dirname, '..', '..', 'portal');

/** The portal build made in this process (one per process, like the functions' bundles). */
let built: string | undefined;

/**
 * The built portal (index.html, portal.js, portal.css) for the site bucket, built at synth with the
 * portal's own recipe, the same esbuild run as `npm run build:portal`, no Docker. Kept in the bundle
 * cache (lib/build/bundles.ts) keyed on the content of every file esbuild read, so an everyday
 * synth reuses it and any change to portal/ or domain/ rebuilds.
 */
export function builtPortalDir(): string {
  if (built) return built;
  // Loaded here: only synthesis with bundling builds the portal (esbuild is a devDependency).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const recipe = require('../../portal/build') as typeof import('../../portal/build');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const esbuild = require('esbuild') as typeof import('esbuild');
  const baseKey = JSON.stringify({ portal: recipe.portalBuildOptions('.'), version: esbuild.version });
  built = cachedBuild(process.env.READROOM_BUNDLE_CACHE === '0' ? undefined : BUNDLE_CACHE_DIR, baseKey, (out) => recipe.buildPortalSync(out));
  return built;
}
