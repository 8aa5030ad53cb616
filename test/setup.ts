// Any process warning (deprecation, experimental API, unhandled rejection) fails the suite.
process.on('warning', (warning) => {
  throw warning;
});

// Journals written by imports under test go to a private folder, never the user's state folder.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

process.env['XDG_STATE_HOME'] = mkdtempSync(join(tmpdir(), 'oi-state-'));
