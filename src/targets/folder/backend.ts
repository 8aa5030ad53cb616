// The recovery folder backend as the registry knows it: a path (written as one, or an existing folder).
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { ImporterError } from '../../core/errors.js';
import { redactUrl } from '../../core/redact.js';
import type { TargetBackend } from '../target.js';
import { LAYOUTS, type Layout } from './folder-layout.js';
import { FolderTarget } from './folder-target.js';

const URL_SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;

const isWrittenAsPath = (text: string): boolean => text.startsWith('/') || text === '.' || text === '..' || text.startsWith('./') || text.startsWith('../');

const isDirectory = (path: string): boolean => {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
};

// Why: `127.0.0.1:8042` or `pacs.example.org` typed without http:// looks like a relative folder
// name; recovering into it would "succeed" without ever reaching the server. A folder is taken
// only when written as a path (/…, ./…, ../…) or when it already exists as a directory.
const refuseUnlessPath = (text: string): void => {
  if (isWrittenAsPath(text) || isDirectory(resolve(text))) return;
  const shown = redactUrl(text);
  if (text.startsWith('~')) {
    throw new ImporterError('E_USAGE', `Expected the target folder as a path, got '${shown}': ~ is not expanded here, write the full path (or let the shell expand it: no quotes)`);
  }
  // `dicomweb+host:port/ROOT`: the http:// goes after the scheme's prefix.
  const [, prefix = '', rest = shown] = /^([a-z][a-z0-9.-]*\+)?(.*)$/is.exec(shown) ?? [];
  throw new ImporterError(
    'E_USAGE',
    `Expected the target to be an http(s):// URL or a folder written as a path, got '${shown}': did you mean ${prefix}http://${rest}? ` +
      `(a recovery folder is written ./${shown} or /path, or already exists)`,
  );
};

// Why: one line of src/targets/registry.ts names this backend; it claims whatever is not a URL,
// and takes it only as a path.
export const folder: TargetBackend = {
  claims: (text) => !URL_SCHEME.test(text),
  parse: (text, input) => {
    refuseUnlessPath(text);
    const layout = input.layout ?? 'hierarchy';
    if (!LAYOUTS.includes(layout as Layout)) throw new ImporterError('E_USAGE', `Expected --layout to be one of ${LAYOUTS.join(', ')}, got '${layout}'`);
    const settings = { dir: resolve(text), layout: layout as Layout, overwrite: input.overwrite ?? false };
    return {
      display: settings.dir,
      identity: `folder:${settings.dir} (layout ${settings.layout})`,
      recovery: true,
      outcomeKey: JSON.stringify({ layout: settings.layout, overwrite: settings.overwrite }),
      open: (options) => new FolderTarget(settings, options.concurrency),
    };
  },
};
