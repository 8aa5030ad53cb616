// Tells an Orthanc URL from a recovery folder in what the user typed as the target, refusing what
// is neither for sure: a host written without its scheme must not become a folder in the cwd.
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { ImporterError } from '../core/errors.js';
import { redactUrl } from '../core/redact.js';

const URL_SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;

// True for text written as a URL (scheme://...), whether or not it parses.
export const isUrl = (text: string): boolean => URL_SCHEME.test(text);

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
export const targetKind = (target: string): 'url' | 'folder' => {
  if (isUrl(target)) return 'url';
  if (isWrittenAsPath(target) || isDirectory(resolve(target))) return 'folder';
  const shown = redactUrl(target);
  if (target.startsWith('~')) {
    throw new ImporterError('E_USAGE', `Expected the target folder as a path, got '${shown}': ~ is not expanded here, write the full path (or let the shell expand it: no quotes)`);
  }
  throw new ImporterError(
    'E_USAGE',
    `Expected the target to be an http(s):// URL or a folder written as a path, got '${shown}': did you mean http://${shown}? ` +
      `(a recovery folder is written ./${shown} or /path, or already exists)`,
  );
};
