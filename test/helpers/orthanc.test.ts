import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { instanceMd5s, instanceSizes, listInstances, startOrthanc, uploadToOrthanc } from './orthanc.js';
import type { RunningOrthanc } from './orthanc.js';

const fixture = fileURLToPath(new URL('../../fixtures/dicom/000000.dcm', import.meta.url));
const started: RunningOrthanc[] = [];

afterAll(async () => {
  await Promise.all(started.map((o) => o.stop()));
});

describe('test/helpers/orthanc', () => {
  it('starts an authenticated Orthanc, stores a file byte-exact and stops cleanly', async () => {
    const auth = { username: 'alice', password: 'secret-pw' };
    const orthanc = await startOrthanc({ auth });
    started.push(orthanc);
    expect(orthanc.url).toBe(`http://127.0.0.1:${orthanc.port}`);

    const uploaded = await uploadToOrthanc(orthanc, fixture);
    expect(uploaded.Status).toBe('Success');

    const ids = await listInstances(orthanc);
    expect(ids).toEqual([uploaded.ID]);

    const bytes = await readFile(fixture);
    const md5 = createHash('md5').update(bytes).digest('hex');
    expect(await instanceMd5s(orthanc)).toEqual(new Map([[uploaded.ID, md5]]));
    expect(await instanceSizes(orthanc)).toEqual(new Map([[uploaded.ID, bytes.length]]));

    const anonymous = await fetch(`${orthanc.url}/instances`);
    await anonymous.body?.cancel();
    expect(anonymous.status).toBe(401);

    await orthanc.stop();
    await orthanc.stop(); // idempotent
    expect(() => process.kill(orthanc.pid, 0)).toThrow();
    expect(existsSync(join(orthanc.storageDir, 'index'))).toBe(true);
  });

  it('runs several Orthancs at once on different ports', async () => {
    const [a, b] = await Promise.all([startOrthanc(), startOrthanc({ compression: true })]);
    started.push(a, b);
    expect(a.port).not.toBe(b.port);
    expect(await listInstances(a)).toEqual([]);
    expect(await listInstances(b)).toEqual([]);
    await Promise.all([a.stop(), b.stop()]);
  });
});
