import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { connectOptions, DEFAULT_TLS, resolveTls } from '../../../src/targets/http/tls.js';
import { makeCertificates, type TestCertificates } from '../../helpers/certificates.js';
import { usageRefusal } from '../../helpers/refusal.js';

let certs: TestCertificates;
beforeAll(async () => {
  certs = await makeCertificates();
});

describe('resolveTls', () => {
  it("keeps Node's own checks without --ca or --insecure", () => {
    expect(resolveTls({}, true)).toBe(DEFAULT_TLS);
    expect(resolveTls({}, false)).toBe(DEFAULT_TLS);
    expect(connectOptions(DEFAULT_TLS)).toEqual({});
  });

  it('--insecure turns the check off; --ca makes one context, for every connection', () => {
    const insecure = resolveTls({ insecure: true }, true);
    expect(insecure).toEqual({ insecure: true });
    expect(connectOptions(insecure)).toEqual({ rejectUnauthorized: false });
    const tls = resolveTls({ caPath: certs.ca }, true);
    expect(tls.caPath).toBe(certs.ca);
    expect(tls.insecure).toBe(false);
    expect(connectOptions(tls)).toEqual({ secureContext: tls.secureContext });
    expect(tls.secureContext).toBeDefined();
  });

  it('takes the certificates of a file that holds a key too', async () => {
    const both = join(certs.dir, 'key-and-cert.pem');
    await writeFile(both, `${await readFile(certs.server.key, 'utf8')}${await readFile(certs.ca, 'utf8')}`);
    expect(resolveTls({ caPath: both }, true).secureContext).toBeDefined();
  });

  it('refuses both at once, or either where no https:// URL takes it', async () => {
    expect(await usageRefusal(() => resolveTls({ caPath: certs.ca, insecure: true }, true))).toBe('Expected either --ca FILE (trust this CA) or --insecure (trust any certificate), not both');
    expect(await usageRefusal(() => resolveTls({ caPath: certs.ca }, false))).toMatch(/^--ca applies to https:\/\/ URLs/);
    expect(await usageRefusal(() => resolveTls({ insecure: true }, false))).toMatch(/^--insecure applies to https:\/\/ URLs/);
  });
});
