// --wire-compression against the real Debian Orthanc: uploads sent with Content-Encoding: gzip
// (the stored zlib streams re-wrapped, raw files compressed) are stored as the decoded files, byte
// for byte (the MD5 read back), and the requests really carried gzip (a counting proxy in front).
import { mkdtemp } from 'node:fs/promises';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveOptions, runImport } from '../../src/index.js';
import { instanceMd5s, orthancsOfThisFile, type RunningOrthanc } from '../helpers/orthanc.js';
import { runCli } from '../helpers/run-cli.js';
import { FIXTURE_DICOM_DIR, fixtureDicoms, uploadAll } from '../helpers/storages.js';
import { md5File } from '../helpers/tree.js';

const start = orthancsOfThisFile();

/** A POST /instances as the proxy saw it. */
interface SeenUpload {
  readonly encoding: string | undefined;
  readonly bytes: number;
}

/** An HTTP proxy in front of an Orthanc that notes each upload's Content-Encoding and size. */
interface CountingProxy {
  readonly url: string;
  readonly uploads: SeenUpload[];
  close(): Promise<void>;
}

const countingProxy = async (target: RunningOrthanc): Promise<CountingProxy> => {
  const uploads: SeenUpload[] = [];
  const server: Server = createServer((incoming, outgoing) => {
    let bytes = 0;
    incoming.on('data', (chunk: Buffer) => (bytes += chunk.length));
    const forward = httpRequest(`${target.url}${incoming.url ?? ''}`, { method: incoming.method, headers: incoming.headers }, (answer) => {
      outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(outgoing);
    });
    forward.on('error', () => outgoing.destroy());
    incoming.on('end', () => {
      if (incoming.method === 'POST' && incoming.url === '/instances') uploads.push({ encoding: incoming.headers['content-encoding'], bytes });
    });
    incoming.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    uploads,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => { resolve(); }));
    },
  };
};

let files: string[];
/** The original files' MD5s, by Orthanc instance ID. */
const originals = new Map<string, string>();
let compressedStorage: string;

beforeAll(async () => {
  files = await fixtureDicoms();
  const writer = await start({ compression: true });
  const ids = await uploadAll(writer, files);
  for (const [index, id] of ids.entries()) originals.set(id, await md5File(files[index] ?? ''));
  await writer.stop();
  compressedStorage = writer.storageDir;
});

// A fresh target Orthanc behind a counting proxy, for one run.
const intoFreshTarget = async (run: (proxy: CountingProxy, target: RunningOrthanc) => Promise<void>): Promise<void> => {
  const target = await start();
  const proxy = await countingProxy(target);
  try {
    await run(proxy, target);
  } finally {
    await proxy.close();
  }
};

const journal = async (): Promise<string> => join(await mkdtemp(join(tmpdir(), 'oi-wire-')), 'journal.sqlite');

describe('--wire-compression gzip into a real Orthanc (1.10.1 here)', () => {
  it('re-wraps a compressed storage as gzip: every upload carries Content-Encoding: gzip, every MD5 on the target is the decoded file\'s', async () => {
    await intoFreshTarget(async (proxy, target) => {
      const { code, stdout } = await runCli([compressedStorage, proxy.url, '--wire-compression', 'gzip', '--journal', await journal()]);
      expect(code).toBe(0);
      expect(stdout).toContain(`verified on the target by this run: ${files.length} of ${files.length} delivered instances (${files.length} MD5 read back)`);
      expect(stdout).toMatch(new RegExp(`on the wire: [\\d.]+ [KMG]iB sent for [\\d.]+ [KMG]iB decoded \\(${files.length} of ${files.length} instances as gzip\\)`));
      expect(proxy.uploads.map((upload) => upload.encoding)).toEqual(files.map(() => 'gzip'));
      expect(await instanceMd5s(target)).toEqual(originals);
    });
  });

  it('streams the re-wrapped member of files too large to hold from the storage (the byte range between header and trailer)', async () => {
    await intoFreshTarget(async (proxy, target) => {
      const summary = await runImport(resolveOptions({ source: compressedStorage, target: proxy.url, wireCompression: 'gzip', inlineLimit: 1024, journalPath: await journal() }));
      expect(summary.exitCode).toBe(0);
      expect(summary.verifiedBy.md5).toBe(files.length);
      expect(summary.wire).toMatchObject({ instances: files.length, gzipInstances: files.length });
      expect(proxy.uploads.every((upload) => upload.encoding === 'gzip')).toBe(true);
      expect(summary.wire?.sentBytes).toBe(proxy.uploads.reduce((sum, upload) => sum + upload.bytes, 0));
      expect(await instanceMd5s(target)).toEqual(originals);
    });
  });

  it('compresses raw files that gain, sends the others as they are, all verified', async () => {
    await intoFreshTarget(async (proxy, target) => {
      const summary = await runImport(resolveOptions({ source: FIXTURE_DICOM_DIR, target: proxy.url, wireCompression: 'gzip', journalPath: await journal() }));
      expect(summary.exitCode).toBe(0);
      expect(summary.verifiedBy.md5).toBe(files.length);
      const gzipped = proxy.uploads.filter((upload) => upload.encoding === 'gzip').length;
      expect(gzipped).toBe(summary.wire?.gzipInstances);
      expect(gzipped).toBeGreaterThan(0);
      expect(await instanceMd5s(target)).toEqual(originals);
    });
  });

  it('none sends every upload as it is', async () => {
    await intoFreshTarget(async (proxy) => {
      const summary = await runImport(resolveOptions({ source: compressedStorage, target: proxy.url, wireCompression: 'none', journalPath: await journal() }));
      expect(summary.exitCode).toBe(0);
      expect(proxy.uploads.map((upload) => upload.encoding)).toEqual(files.map(() => undefined));
      expect(summary.wire).toMatchObject({ instances: files.length, gzipInstances: 0 });
      expect(summary.wire?.sentBytes).toBe(summary.wire?.decodedBytes);
    });
  });

  it('re-wraps what a running compressed Orthanc source hands over (its compressed-data), verified against the source\'s MD5s', async () => {
    const source = await start({ compression: true });
    await uploadAll(source, files);
    await intoFreshTarget(async (proxy, target) => {
      const summary = await runImport(resolveOptions({ source: source.url, target: proxy.url, wireCompression: 'gzip', journalPath: await journal() }));
      expect(summary.exitCode).toBe(0);
      expect(summary.wire).toMatchObject({ instances: files.length, gzipInstances: files.length });
      expect(proxy.uploads.every((upload) => upload.encoding === 'gzip')).toBe(true);
      expect(await instanceMd5s(target)).toEqual(await instanceMd5s(source));
      // Too large to hold (spooled to disk): the member streamed from the spooled compressed-data.
      const spooledTarget = await start();
      const spooled = await runImport(resolveOptions({ source: source.url, target: spooledTarget.url, wireCompression: 'gzip', inlineLimit: 1024, journalPath: await journal() }));
      expect(spooled).toMatchObject({ exitCode: 0, wire: { instances: files.length, gzipInstances: files.length } });
      expect(await instanceMd5s(spooledTarget)).toEqual(await instanceMd5s(source));
    });
  });
});

describe('--wire-compression refusals (exit 2, one line)', () => {
  it('refuses gzip for an Orthanc older than 1.6.0, before anything is sent', async () => {
    const posts: string[] = [];
    const old = createServer((request, response) => {
      if (request.method === 'POST') posts.push(request.url ?? '');
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ Version: '1.5.8', Name: 'old', ApiVersion: 4 }));
    });
    await new Promise<void>((resolve) => old.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(old.address() as AddressInfo).port}`;
      const { code, stderr } = await runCli([FIXTURE_DICOM_DIR, url, '--wire-compression', 'gzip', '--journal', await journal()]);
      expect(code).toBe(2);
      expect(stderr).toContain('--wire-compression gzip needs an Orthanc 1.6.0 or later (it gunzips uploads since then), and the target is Orthanc 1.5.8: use auto or none');
      expect(stderr).not.toMatch(/\n\s+at /); // no stack trace
      expect(posts).toEqual([]);
    } finally {
      old.closeAllConnections();
      await new Promise<void>((resolve) => old.close(() => { resolve(); }));
    }
  });

  it('refuses gzip for a folder or a DICOMweb target, and a mode it does not know', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'oi-wire-out-'));
    const toFolder = await runCli([FIXTURE_DICOM_DIR, folder, '--wire-compression', 'gzip']);
    expect(toFolder.code).toBe(2);
    expect(toFolder.stderr).toContain(`--wire-compression gzip only applies to an Orthanc target (1.6.0 or later), not to ${folder}: leave it out`);
    const toDicomweb = await runCli([FIXTURE_DICOM_DIR, 'dicomweb+http://127.0.0.1:9/dicom-web', '--wire-compression', 'gzip']);
    expect(toDicomweb.code).toBe(2);
    expect(toDicomweb.stderr).toContain('--wire-compression gzip only applies to an Orthanc target (1.6.0 or later), not to dicomweb+http://127.0.0.1:9/dicom-web: leave it out');
    const unknown = await runCli([FIXTURE_DICOM_DIR, 'http://127.0.0.1:9', '--wire-compression', 'deflate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("Expected --wire-compression to be one of auto, gzip, none, got 'deflate'");
  });
});
