// Certificates for the HTTPS tests, made with openssl (CI checks it is installed: .ci/run): a CA of
// their own and server certificates, written into a fresh temporary folder.
import { execFile } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A server's certificate and its key, as PEM files. */
export interface ServerIdentity {
  readonly cert: string;
  readonly key: string;
}

export interface TestCertificates {
  readonly dir: string;
  /** The CA's certificate (PEM): what --ca takes. */
  readonly ca: string;
  /** Signed by the CA, for IP:127.0.0.1. */
  readonly server: ServerIdentity;
  /** Signed by the CA, for DNS:example.invalid only: a name mismatch on 127.0.0.1. */
  readonly otherName: ServerIdentity;
  /** Signed by itself, for IP:127.0.0.1. */
  readonly selfSigned: ServerIdentity;
}

const KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

// A key and a certificate for `altName`, signed by the CA.
const signed = async (dir: string, name: string, altName: string): Promise<ServerIdentity> => {
  const [cert, key, csr, ext] = ['cert.pem', 'key.pem', 'csr.pem', 'ext.cnf'].map((file) => join(dir, `${name}-${file}`)) as [string, string, string, string];
  await writeFile(ext, `subjectAltName=${altName}\n`);
  await run('openssl', ['req', '-new', ...KEY, '-keyout', key, '-out', csr, '-subj', `/CN=${name}`]);
  await run('openssl', ['x509', '-req', '-in', csr, '-CA', join(dir, 'ca.pem'), '-CAkey', join(dir, 'ca-key.pem'), '-set_serial', String(randomInt(1, 2 ** 47)), '-days', '2', '-extfile', ext, '-out', cert]);
  return { cert, key };
};

// Why: a CA and the certificates the tests serve, fresh for each test file (valid two days).
export const makeCertificates = async (): Promise<TestCertificates> => {
  const dir = await mkdtemp(join(tmpdir(), 'oi-tls-'));
  const ca = join(dir, 'ca.pem');
  await run('openssl', ['req', '-x509', ...KEY, '-keyout', join(dir, 'ca-key.pem'), '-out', ca, '-days', '2', '-subj', '/CN=orthanc-import test CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign']);
  const selfSigned = { cert: join(dir, 'self-cert.pem'), key: join(dir, 'self-key.pem') };
  await run('openssl', ['req', '-x509', ...KEY, '-keyout', selfSigned.key, '-out', selfSigned.cert, '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1']);
  const [server, otherName] = await Promise.all([signed(dir, 'server', 'IP:127.0.0.1'), signed(dir, 'other', 'DNS:example.invalid')]);
  return { dir, ca, server, otherName, selfSigned };
};
