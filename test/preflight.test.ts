// The first request decides whether the run can start: real Orthanc answers, and scripted failures.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImporterError, type ErrorCode } from '../src/errors.js';
import { checkTarget } from '../src/preflight.js';
import { parseTarget } from '../src/target.js';
import { startOrthanc, type RunningOrthanc } from './helpers/orthanc.js';
import { startScriptedServer } from './helpers/scripted-server.js';

const failsWith = (code: ErrorCode) => (error: unknown) => error instanceof ImporterError && error.code === code;

describe('checkTarget', () => {
  let orthanc: RunningOrthanc;
  beforeAll(async () => {
    orthanc = await startOrthanc({ auth: { username: 'bob', password: 'right' } });
  });
  afterAll(async () => {
    await orthanc.stop();
  });

  it('reads the version of a real Orthanc with good credentials', async () => {
    const system = await checkTarget(parseTarget(orthanc.url, { username: 'bob', password: 'right' }));
    expect(system.version).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('refuses wrong or missing credentials with E_TARGET_AUTH', async () => {
    await expect(checkTarget(parseTarget(orthanc.url, { username: 'bob', password: 'wrong' }))).rejects.toSatisfy(failsWith('E_TARGET_AUTH'));
    await expect(checkTarget(parseTarget(orthanc.url, {}))).rejects.toSatisfy(failsWith('E_TARGET_AUTH'));
  });

  it('says the URL is not an Orthanc when /system is not found (a wrong prefix)', async () => {
    await expect(checkTarget(parseTarget(`${orthanc.url}/wrong-prefix`, { username: 'bob', password: 'right' }))).rejects.toSatisfy(
      failsWith('E_TARGET_NOT_ORTHANC'),
    );
  });

  it('says the target is unreachable when the connection is refused', async () => {
    const server = await startScriptedServer(() => undefined);
    const url = server.url;
    await server.close();
    await expect(checkTarget(parseTarget(url, {}))).rejects.toSatisfy(failsWith('E_TARGET_UNREACHABLE'));
  });
});
