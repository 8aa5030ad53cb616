// HTTPS to the target and to a running Orthanc source, from the command line: real Orthancs behind
// a TLS front (test/helpers/tls-front.ts says why not Orthanc's own SslEnabled), certificates made
// with openssl. A certificate not trusted, a name it does not hold, a scheme the server does not
// speak: each said as such, with what to do; --ca, NODE_EXTRA_CA_CERTS and --insecure let it through.
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Summary } from '../../src/index.js';
import { makeCertificates, type TestCertificates } from '../helpers/certificates.js';
import { dicomwebOptions } from '../helpers/dicomweb.js';
import { instanceMd5s, listInstances, orthancsOfThisFile, type RunningOrthanc } from '../helpers/orthanc.js';
import { runCli, type CliResult } from '../helpers/run-cli.js';
import { FIXTURE_DICOM_DIR, fixtureDicoms, uploadAll } from '../helpers/storages.js';
import { tlsFrontsOfThisFile } from '../helpers/tls-front.js';

const start = orthancsOfThisFile();
const front = tlsFrontsOfThisFile();
const INSECURE_WARNING = 'certificate checks are off (--insecure): anyone on the path could read or alter what is sent';
let certs: TestCertificates;
let files: string[];

beforeAll(async () => {
  certs = await makeCertificates();
  files = await fixtureDicoms();
});

const summaryOf = async (path: string): Promise<Summary> => (JSON.parse(await readFile(path, 'utf8')) as { summary: Summary }).summary;

// Imports the fixture folder into `url` (the run's own journal and report), with these options.
const importInto = async (url: string, options: readonly string[] = [], env: Record<string, string> = {}): Promise<CliResult & { report: string }> => {
  const work = await mkdtemp(join(tmpdir(), 'oi-https-'));
  const report = join(work, 'report.json');
  const result = await runCli([FIXTURE_DICOM_DIR, url, '--journal', join(work, 'journal.sqlite'), '--report', report, ...options], env);
  return { ...result, report };
};

// The one line of a refused run (no summary: it stopped before the first file), beside the
// journal's location said as it opened.
const refusedWith = (result: CliResult, code: number): string => {
  expect(result.code, result.stdout + result.stderr).toBe(code);
  const lines = result.stderr.trim().split('\n').filter((line) => !line.startsWith('journal: '));
  expect(lines, result.stderr).toHaveLength(1);
  return lines[0] ?? '';
};

const expectAllVerified = async (result: CliResult & { report: string }, orthanc: RunningOrthanc): Promise<Summary> => {
  expect(result.code, result.stdout + result.stderr).toBe(0);
  const summary = await summaryOf(result.report);
  expect(summary.verified).toBe(files.length);
  expect(await listInstances(orthanc)).toHaveLength(files.length);
  return summary;
};

describe('an https:// target', () => {
  it('whose certificate no trusted CA signed is refused before anything is sent, saying how to trust it (exit 3)', async () => {
    const orthanc = await start();
    const signedByOurCa = await front(certs.server, orthanc.port);
    const line = refusedWith(await importInto(signedByOurCa.url), 3);
    expect(line).toBe(`orthanc-import: Cannot reach the target ${signedByOurCa.url}: certificate not trusted (UNABLE_TO_VERIFY_LEAF_SIGNATURE): pass --ca FILE with the CA that signed it (or set NODE_EXTRA_CA_CERTS), or --insecure to skip the check`);
    const selfSigned = await front(certs.selfSigned, orthanc.port);
    expect(refusedWith(await importInto(selfSigned.url), 3)).toMatch(/: certificate not trusted \(DEPTH_ZERO_SELF_SIGNED_CERT\): pass --ca FILE/);
    expect(await listInstances(orthanc)).toHaveLength(0);
  });

  it('with --ca FILE: the same import is delivered and verified (uploads, read-backs); a self-signed certificate is its own CA', async () => {
    const orthanc = await start();
    const signedByOurCa = await front(certs.server, orthanc.port);
    const summary = await expectAllVerified(await importInto(signedByOurCa.url, ['--ca', certs.ca]), orthanc);
    expect(summary.warnings).toEqual([]);
    const other = await start();
    await expectAllVerified(await importInto((await front(certs.selfSigned, other.port)).url, ['--ca', certs.selfSigned.cert]), other);
  });

  it('with --ca FILE of another CA: not trusted, and the message says --ca did not sign it', async () => {
    const orthanc = await start();
    const signedByOurCa = await front(certs.server, orthanc.port);
    const line = refusedWith(await importInto(signedByOurCa.url, ['--ca', certs.selfSigned.cert]), 3);
    expect(line).toMatch(/certificate not trusted \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\), not even with --ca .*self-cert\.pem: give --ca the CA that signed it/);
  });

  it('trusts the CAs of NODE_EXTRA_CA_CERTS, alone and beside --ca', async () => {
    const orthanc = await start();
    const signedByOurCa = await front(certs.server, orthanc.port);
    await expectAllVerified(await importInto(signedByOurCa.url, [], { NODE_EXTRA_CA_CERTS: certs.ca }), orthanc);
    const other = await start();
    const again = await front(certs.server, other.port);
    // --ca replaces none of Node's CAs: NODE_EXTRA_CA_CERTS's still count.
    await expectAllVerified(await importInto(again.url, ['--ca', certs.selfSigned.cert], { NODE_EXTRA_CA_CERTS: certs.ca }), other);
  });

  it('with --insecure: delivered and verified, with a warning on stderr before anything else and in the summary', async () => {
    const orthanc = await start();
    const selfSigned = await front(certs.selfSigned, orthanc.port);
    const result = await importInto(selfSigned.url, ['--insecure']);
    const summary = await expectAllVerified(result, orthanc);
    expect(result.stderr.split('\n')[0]).toBe(`warning: ${INSECURE_WARNING}`);
    expect(summary.warnings).toEqual([INSECURE_WARNING]);
    expect(result.stdout).toContain(`warning: ${INSECURE_WARNING}`);
  });

  it('whose certificate is for another name says the name it is for (exit 3)', async () => {
    const orthanc = await start();
    const otherName = await front(certs.otherName, orthanc.port);
    const line = refusedWith(await importInto(otherName.url, ['--ca', certs.ca]), 3);
    expect(line).toBe(`orthanc-import: Cannot reach the target ${otherName.url}: the certificate is for DNS:example.invalid, not 127.0.0.1 (ERR_TLS_CERT_ALTNAME_INVALID): use a URL with a name the certificate holds, or --insecure to skip the check`);
  });

  it('of a server that speaks plain HTTP says so, with the http:// URL to use (exit 3)', async () => {
    const orthanc = await start();
    const url = `https://127.0.0.1:${orthanc.port}`;
    const line = refusedWith(await importInto(url), 3);
    expect(line).toBe(`orthanc-import: Cannot reach the target ${url}: the server speaks plain HTTP, not HTTPS (EPROTO): use http://127.0.0.1:${orthanc.port}`);
  });

  it('written http:// for a server that expects TLS says so, with the https:// URL to use (exit 3)', async () => {
    const orthanc = await start();
    const tls = await front(certs.server, orthanc.port);
    const line = refusedWith(await importInto(`http://127.0.0.1:${tls.port}`), 3);
    expect(line).toBe(`orthanc-import: Cannot reach the target http://127.0.0.1:${tls.port}: the server expects HTTPS (ECONNRESET): use https://127.0.0.1:${tls.port}`);
  });

  it('a DICOMweb server over https with --ca: delivered and verified', async () => {
    const orthanc = await start(dicomwebOptions());
    const tls = await front(certs.server, orthanc.port);
    const result = await importInto(`dicomweb+${tls.url}/dicom-web`, ['--ca', certs.ca]);
    await expectAllVerified(result, orthanc);
    const refused = refusedWith(await importInto(`dicomweb+${tls.url}/dicom-web`), 3);
    expect(refused).toMatch(/^orthanc-import: Cannot reach the DICOMweb server dicomweb\+https:\/\/127\.0\.0\.1:\d+\/dicom-web: certificate not trusted/);
  });
});

describe('a running Orthanc as the source over https://', () => {
  it('is copied with --ca (every MD5 the source\'s), and refused without it, saying how to trust it (exit 2)', async () => {
    const source = await start();
    await uploadAll(source, files);
    const tls = await front(certs.server, source.port);
    const target = await start();
    const work = await mkdtemp(join(tmpdir(), 'oi-https-source-'));
    const refused = await runCli([tls.url, target.url, '--journal', join(work, 'j.sqlite'), '--quiet']);
    expect(refusedWith(refused, 2)).toBe(`orthanc-import: Cannot reach the source ${tls.url}: certificate not trusted (UNABLE_TO_VERIFY_LEAF_SIGNATURE): pass --ca FILE with the CA that signed it (or set NODE_EXTRA_CA_CERTS), or --insecure to skip the check`);
    const copied = await runCli([tls.url, target.url, '--ca', certs.ca, '--journal', join(work, 'j.sqlite')]);
    expect(copied.code, copied.stdout + copied.stderr).toBe(0);
    expect(await instanceMd5s(target)).toEqual(await instanceMd5s(source));
  });
});

describe('--ca and --insecure, refused before anything is sent (exit 2, one line)', () => {
  // Nothing listens there: a refusal that tried to connect would say "Cannot reach".
  const nowhere = 'https://127.0.0.1:1';

  it('an unreadable file, a file without a certificate, a broken certificate', async () => {
    const work = await mkdtemp(join(tmpdir(), 'oi-https-ca-'));
    const missing = join(work, 'missing.pem');
    expect(refusedWith(await runCli([FIXTURE_DICOM_DIR, nowhere, '--ca', missing]), 2)).toBe(`orthanc-import: Cannot read the --ca file ${missing} (ENOENT)`);
    expect(refusedWith(await runCli([FIXTURE_DICOM_DIR, nowhere, '--ca', work]), 2)).toBe(`orthanc-import: Cannot read the --ca file ${work} (EISDIR)`);
    expect(refusedWith(await runCli([FIXTURE_DICOM_DIR, nowhere, '--ca', certs.server.key]), 2)).toMatch(/^orthanc-import: The --ca file .*server-key\.pem holds no PEM certificate \(-----BEGIN CERTIFICATE-----\): give the CA's certificate in PEM form/);
    const broken = join(work, 'broken.pem');
    await writeFile(broken, `${await readFile(certs.ca, 'utf8')}-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n`);
    expect(refusedWith(await runCli([FIXTURE_DICOM_DIR, nowhere, '--ca', broken]), 2)).toMatch(/^orthanc-import: The --ca file .*broken\.pem: its certificate 2 of 2 is not a valid certificate \(.+\)$/);
  });

  it('--ca with --insecure, and either without an https:// URL to apply to', async () => {
    expect(refusedWith(await runCli([FIXTURE_DICOM_DIR, nowhere, '--ca', certs.ca, '--insecure']), 2)).toBe('orthanc-import: Expected either --ca FILE (trust this CA) or --insecure (trust any certificate), not both');
    expect(refusedWith(await runCli([FIXTURE_DICOM_DIR, 'http://127.0.0.1:1', '--insecure']), 2)).toBe(
      'orthanc-import: --insecure applies to https:// URLs (the target, or a running Orthanc as the source), and this run connects to none: leave it out',
    );
    expect(refusedWith(await runCli([FIXTURE_DICOM_DIR, '--ca', certs.ca]), 2)).toMatch(/^orthanc-import: --ca applies to https:\/\/ URLs/);
  });
});
