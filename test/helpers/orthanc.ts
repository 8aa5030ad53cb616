// Real Orthanc for tests: start/stop (from fixtures/orthanc-process.ts) plus small REST helpers.
import { afterAll } from 'vitest';
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { authHeaders, startOrthanc } from '../../fixtures/orthanc-process.js';
import type { OrthancOptions, RunningOrthanc } from '../../fixtures/orthanc-process.js';

export { startOrthanc };
export type { OrthancOptions, RunningOrthanc };

// Why: every assertion against Orthanc goes through REST, and failures must show Orthanc's explanation.
export async function orthancJson<T>(
  orthanc: RunningOrthanc,
  path: string,
  init?: { method?: string; body?: Uint8Array },
): Promise<T> {
  const headers: Record<string, string> = { ...authHeaders(orthanc.auth) };
  if (init?.body !== undefined) headers['Content-Type'] = 'application/octet-stream';
  const method = init?.method ?? (init?.body === undefined ? 'GET' : 'POST');
  const res = await fetch(`${orthanc.url}${path}`, {
    method,
    headers,
    ...(init?.body === undefined ? {} : { body: init.body }),
  });
  const text = await res.text();
  if (!res.ok) {
    throw new Error(`${method} ${path} -> ${res.status} ${res.statusText}: ${text}`);
  }
  return (text === '' ? undefined : JSON.parse(text)) as T;
}

// Why: tests seed a target Orthanc the same way a user would, through POST /instances.
export async function uploadToOrthanc(orthanc: RunningOrthanc, file: string): Promise<{ ID: string; Status: string }> {
  const body = await readFile(file);
  return orthancJson<{ ID: string; Status: string }>(orthanc, '/instances', { method: 'POST', body });
}

// Why: the simplest check of what a target Orthanc holds.
export async function listInstances(orthanc: RunningOrthanc): Promise<string[]> {
  return orthancJson<string[]>(orthanc, '/instances');
}

async function perInstance<T>(orthanc: RunningOrthanc, suffix: string, parse: (text: string) => T): Promise<Map<string, T>> {
  const ids = await listInstances(orthanc);
  const result = new Map<string, T>();
  for (const id of ids) {
    const res = await fetch(`${orthanc.url}/instances/${id}${suffix}`, { headers: authHeaders(orthanc.auth) });
    const text = await res.text();
    if (!res.ok) throw new Error(`GET /instances/${id}${suffix} -> ${res.status}: ${text}`);
    result.set(id, parse(text.trim()));
  }
  return result;
}

// Why: byte-exact verification of imported files (md5 of the stored, uncompressed DICOM).
export async function instanceMd5s(orthanc: RunningOrthanc): Promise<Map<string, string>> {
  return perInstance(orthanc, '/attachments/dicom/md5', (text) => text);
}

// Why: cheap size comparison of imported files without downloading them.
export async function instanceSizes(orthanc: RunningOrthanc): Promise<Map<string, number>> {
  return perInstance(orthanc, '/attachments/dicom/size', (text) => {
    const size = Number(text);
    if (!Number.isSafeInteger(size)) throw new Error(`unexpected attachment size: ${text}`);
    return size;
  });
}

// Why: a test file starts Orthancs in many tests; all of them must be stopped at its end, even when
// an assertion failed half-way. Call at the top level of a test file.
export function orthancsOfThisFile(): (options?: OrthancOptions) => Promise<RunningOrthanc> {
  const running: RunningOrthanc[] = [];
  afterAll(async () => {
    await Promise.all(running.map((orthanc) => orthanc.stop()));
  });
  return async (options) => {
    const orthanc = await startOrthanc(options);
    running.push(orthanc);
    return orthanc;
  };
}

// Why: a run is interrupted (or its target or source restarted) once it has delivered this much.
export async function waitForInstances(orthanc: RunningOrthanc, atLeast: number): Promise<void> {
  for (let i = 0; i < 1500; i++) {
    const { CountInstances } = await orthancJson<{ CountInstances: number }>(orthanc, '/statistics');
    if (CountInstances >= atLeast) return;
    await sleep(20);
  }
  throw new Error(`the Orthanc never reached ${atLeast} instances`);
}
