// Both probes that find the scheme wrong are tested against a real Orthanc behind TLS in
// test/e2e/https.test.ts; here, what must not be called a wrong scheme.
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { explainWrongScheme } from '../../../src/targets/http/wrong-scheme.js';
import { startScriptedServer } from '../../helpers/scripted-server.js';

const failure = (code: string, message = 'failed'): Error => Object.assign(new Error(message), { code });

describe('explainWrongScheme', () => {
  it('does not probe a server that refused the connection or could not be found', async () => {
    expect(await explainWrongScheme('https://127.0.0.1:1', 'https://127.0.0.1:1', failure('ECONNREFUSED'))).toBeUndefined();
    expect(await explainWrongScheme('http://127.0.0.1:1', 'http://127.0.0.1:1', failure('ENOTFOUND'))).toBeUndefined();
  });

  it('says nothing when the other scheme gets no answer either (a server that closes every connection)', async () => {
    const server = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    try {
      expect(await explainWrongScheme(`https://127.0.0.1:${port}`, `https://127.0.0.1:${port}`, failure('ECONNRESET'))).toBeUndefined();
      expect(await explainWrongScheme(`http://127.0.0.1:${port}`, `http://127.0.0.1:${port}`, failure('ECONNRESET'))).toBeUndefined();
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('calls a plain HTTP server so only when the TLS failure is one plain HTTP causes', async () => {
    const server = await startScriptedServer((_index, _request, response) => { response.end('plain'); });
    const https = server.url.replace('http://', 'https://');
    try {
      expect(await explainWrongScheme(https, https, failure('EPROTO', 'ssl3_get_record:wrong version number'))).toBe(`the server speaks plain HTTP, not HTTPS (EPROTO): use ${server.url}`);
      expect(await explainWrongScheme(https, https, failure('EPROTO', 'sslv3 alert handshake failure'))).toBeUndefined();
      expect(await explainWrongScheme(https, https, failure('CERT_HAS_EXPIRED'))).toBeUndefined();
    } finally {
      await server.close();
    }
  });
});
