import { describe, expect, it } from 'vitest';
import { isImporterError } from '../../../src/core/errors.js';
import { DEFAULT_TLS } from '../../../src/targets/http/tls.js';
import { chooseWire, quickestRequestMs, takesGzip, WAN_REQUEST_MS } from '../../../src/targets/orthanc/wire.js';
import { orthancSystem, startScriptedServer } from '../../helpers/scripted-server.js';

const never = (): Promise<number> => Promise.reject(new Error('the link must not be timed'));

describe('takesGzip', () => {
  it('says yes from Orthanc 1.6.0 on (and for a mainline build), no before', () => {
    expect(takesGzip('1.6.0')).toBe(true);
    expect(takesGzip('1.10.1')).toBe(true);
    expect(takesGzip('2.0.0')).toBe(true);
    expect(takesGzip('mainline')).toBe(true);
    expect(takesGzip('1.5.8')).toBe(false);
    expect(takesGzip('0.9.6')).toBe(false);
  });
});

describe('chooseWire', () => {
  it('none: never gzip, without timing the link', async () => {
    expect((await chooseWire('none', '1.10.1', never)).gzip).toBe(false);
  });

  it('gzip: always on an Orthanc that takes it, without timing the link', async () => {
    expect((await chooseWire('gzip', '1.10.1', never)).gzip).toBe(true);
  });

  it('gzip: refused (E_USAGE, exit 2) on an Orthanc older than 1.6.0', async () => {
    const error = await chooseWire('gzip', '1.5.8', never).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(isImporterError(error) && error.code).toBe('E_USAGE');
    expect((error as Error).message).toBe('--wire-compression gzip needs an Orthanc 1.6.0 or later (it gunzips uploads since then), and the target is Orthanc 1.5.8: use auto or none');
  });

  it('auto: as they are on an Orthanc older than 1.6.0, on a local link; gzip on a wide-area one', async () => {
    expect(await chooseWire('auto', '1.5.8', never)).toEqual({ gzip: false, why: 'uploads sent as they are (Orthanc 1.5.8 takes no gzip)' });
    const local = await chooseWire('auto', '1.10.1', () => Promise.resolve(0.6));
    expect(local).toEqual({ gzip: false, why: 'uploads sent as they are (--wire-compression auto: a request on a new connection takes 0.6 ms, a local link)' });
    expect((await chooseWire('auto', '1.10.1', () => Promise.resolve(WAN_REQUEST_MS - 0.1))).gzip).toBe(false);
    const wan = await chooseWire('auto', '1.10.1', () => Promise.resolve(41.2));
    expect(wan).toEqual({ gzip: true, why: 'uploads sent as gzip (--wire-compression auto: a request on a new connection takes 41.2 ms, a wide-area link)' });
  });
});

describe('quickestRequestMs', () => {
  it('takes the quickest of three GET /system, the run\'s first included, each on a new connection', async () => {
    const server = await startScriptedServer((_index, _request, response) => { orthancSystem(response); });
    try {
      const endpoint = { origin: server.url, prefix: '', headers: {}, display: server.url, tls: DEFAULT_TLS };
      const ms = await quickestRequestMs(endpoint, 1e6);
      expect(ms).toBeLessThan(1e6);
      expect(server.requests.map((request) => `${request.method} ${request.url}`)).toEqual(['GET /system', 'GET /system']);
      expect(await quickestRequestMs(endpoint, 0)).toBe(0);
    } finally {
      await server.close();
    }
  });
});
