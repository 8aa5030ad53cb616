import { describe, expect, it } from 'vitest';
import { explainTlsFailure } from '../../../src/targets/http/tls-failure.js';
import { DEFAULT_TLS } from '../../../src/targets/http/tls.js';

const failure = (code: string, extra: Record<string, unknown> = {}): Error => Object.assign(new Error('handshake failed'), { code, ...extra });

describe('explainTlsFailure', () => {
  it('says a certificate is not trusted, and how to trust it, for each code of an unknown issuer', () => {
    for (const code of ['DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY']) {
      expect(explainTlsFailure(failure(code), DEFAULT_TLS)).toBe(`certificate not trusted (${code}): pass --ca FILE with the CA that signed it (or set NODE_EXTRA_CA_CERTS), or --insecure to skip the check`);
    }
  });

  it('with --ca given, says that CA did not sign it', () => {
    const tls = { insecure: false, caPath: '/etc/ssl/our-ca.pem' };
    expect(explainTlsFailure(failure('SELF_SIGNED_CERT_IN_CHAIN'), tls)).toBe("certificate not trusted (SELF_SIGNED_CERT_IN_CHAIN), not even with --ca /etc/ssl/our-ca.pem: give --ca the CA that signed it (the root of the server's chain)");
  });

  it('names what a certificate for another name is for, from its alternative names or else its CN', () => {
    const altnames = failure('ERR_TLS_CERT_ALTNAME_INVALID', { host: '10.0.0.5', cert: { subjectaltname: 'DNS:pacs.example.org, DNS:pacs', subject: { CN: 'ignored' } } });
    expect(explainTlsFailure(altnames, DEFAULT_TLS)).toBe('the certificate is for DNS:pacs.example.org, DNS:pacs, not 10.0.0.5 (ERR_TLS_CERT_ALTNAME_INVALID): use a URL with a name the certificate holds, or --insecure to skip the check');
    const cn = failure('ERR_TLS_CERT_ALTNAME_INVALID', { host: 'orthanc', cert: { subject: { CN: 'old-name' } } });
    expect(explainTlsFailure(cn, DEFAULT_TLS)).toMatch(/^the certificate is for old-name, not orthanc \(/);
    expect(explainTlsFailure(failure('ERR_TLS_CERT_ALTNAME_INVALID'), DEFAULT_TLS)).toMatch(/^the certificate is for other names, not the name in the URL \(/);
  });

  it('says a certificate is out of date, and that the clock may be what is wrong', () => {
    expect(explainTlsFailure(failure('CERT_HAS_EXPIRED'), DEFAULT_TLS)).toBe("the certificate has expired (CERT_HAS_EXPIRED): renew it on the server (or check this machine's clock), or --insecure to skip the check");
    expect(explainTlsFailure(failure('CERT_NOT_YET_VALID'), DEFAULT_TLS)).toMatch(/^the certificate is not valid yet \(CERT_NOT_YET_VALID\)/);
  });

  it('leaves anything else to the caller', () => {
    expect(explainTlsFailure(failure('ECONNREFUSED'), DEFAULT_TLS)).toBeUndefined();
    expect(explainTlsFailure(new Error('no code'), DEFAULT_TLS)).toBeUndefined();
    expect(explainTlsFailure('a string', DEFAULT_TLS)).toBeUndefined();
  });
});
