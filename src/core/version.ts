import { readFileSync } from 'node:fs';

// Why: --version and the journal's record of a complete run both name this tool's version; it is
// read from package.json (two levels up from src/core/, three from dist/src/core/), never written twice.
export const VERSION = ((): string => {
  for (const candidate of ['../../package.json', '../../../package.json']) {
    try {
      const manifest = JSON.parse(readFileSync(new URL(candidate, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (manifest.name === 'orthanc-import' && manifest.version !== undefined) return manifest.version;
    } catch {
      // Try the next place.
    }
  }
  return 'unknown';
})();
