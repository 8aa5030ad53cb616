// Every temporary folder of a test run (storages, Orthanc run dirs, generated data) lives under
// one directory that is removed at the end, so runs never pile up files in /tmp.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const root = mkdtempSync(join(tmpdir(), 'orthanc-import-tests-'));
  process.env['TMPDIR'] = root;
  return () => {
    rmSync(root, { recursive: true, force: true });
  };
}
