// Storages written by a real Orthanc, for the index-driven source tests.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startOrthanc, uploadToOrthanc } from './orthanc.js';
import type { OrthancOptions, RunningOrthanc } from './orthanc.js';

export const FIXTURE_DICOM_DIR = fileURLToPath(new URL('../../fixtures/dicom', import.meta.url));
export const SAMPLE_STORAGE = fileURLToPath(new URL('../../fixtures/sample-storage', import.meta.url));

// Why: every storage test uploads the same small, varied, committed DICOM files.
export const fixtureDicoms = async (): Promise<string[]> =>
  (await readdir(FIXTURE_DICOM_DIR)).filter((n) => n.endsWith('.dcm')).sort().map((n) => join(FIXTURE_DICOM_DIR, n));

// Why: an Orthanc left running by a failed assertion would hold the storage locked for the next test.
export async function withOrthanc<T>(options: OrthancOptions, body: (orthanc: RunningOrthanc) => Promise<T>): Promise<T> {
  const orthanc = await startOrthanc(options);
  try {
    return await body(orthanc);
  } finally {
    await orthanc.stop();
  }
}

// Why: uploads return the instance IDs the index must later list.
export async function uploadAll(orthanc: RunningOrthanc, files: readonly string[]): Promise<string[]> {
  const ids: string[] = [];
  for (const file of files) ids.push((await uploadToOrthanc(orthanc, file)).ID);
  return ids;
}

// Why: a crash leaves committed transactions in index-wal only; SIGKILL reproduces it. stop()
// then reaps the process (waits for the child's 'exit'), so its fcntl locks are surely gone.
export async function killOrthanc(orthanc: RunningOrthanc): Promise<void> {
  process.kill(orthanc.pid, 'SIGKILL');
  await orthanc.stop();
}
