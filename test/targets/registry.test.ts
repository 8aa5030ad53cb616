import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isImporterError } from '../../src/core/errors.js';
import { parseTargetSpec } from '../../src/targets/registry.js';

const targetKind = (text: string): 'url' | 'folder' => (parseTargetSpec(text, { source: 's' }).recovery ? 'folder' : 'url');

const refusal = (target: string): { code: string; message: string } => {
  try {
    targetKind(target);
  } catch (error) {
    if (isImporterError(error)) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error(`expected ${target} to be refused`);
};

describe('parseTargetSpec', () => {
  it('gives http(s):// to the Orthanc backend, and refuses another scheme naming the ones it takes', () => {
    expect(targetKind('http://127.0.0.1:8042')).toBe('url');
    expect(targetKind('HTTPS://pacs.example.org/orthanc')).toBe('url');
    const { code, message } = refusal('ftp://user:secret@x');
    expect(code).toBe('E_USAGE');
    expect(message).toMatch(/^Expected the target URL to start with http:\/\/ or https:\/\/ \(an Orthanc\).*, got 'ftp:'$/);
    expect(message).not.toContain('secret');
  });

  it.each([
    ['127.0.0.1:8042', 'http://127.0.0.1:8042?'],
    ['localhost:8042', 'http://localhost:8042?'],
    ['pacs.example.org', 'http://pacs.example.org?'],
    ['pacs:8042/orthanc', 'http://pacs:8042/orthanc?'],
    ['recovered', 'http://recovered?'],
    ['dicomweb+127.0.0.1:8042/dicom-web', 'dicomweb+http://127.0.0.1:8042/dicom-web?'],
  ])('refuses %j, which is neither a URL nor a folder written as a path, suggesting the URL', (target, suggestion) => {
    const { code, message } = refusal(target);
    expect(code).toBe('E_USAGE');
    expect(message).toContain(`did you mean ${suggestion}`);
    expect(message).toContain(`./${target}`);
  });

  it('never echoes a password of a target typed without its scheme', () => {
    expect(refusal('admin:secret@pacs:8042').message).not.toContain('secret');
    expect(refusal('dicomweb+admin:secret@pacs:8042/dicom-web').message).not.toContain('secret');
  });

  it('refuses ~ (not expanded: the shell was told not to)', () => {
    expect(refusal('~/recovered').message).toMatch(/~ is not expanded here/);
  });

  it('takes a path (/…, ./…, ../…, . and ..) or an existing directory as a folder', async () => {
    for (const path of ['/mnt/recovered', './recovered', '../recovered', '.', '..', './a/b']) expect(targetKind(path)).toBe('folder');
    // An existing directory named without ./ (the tests run in the repository: 'fixtures').
    expect(targetKind(relative(process.cwd(), fileURLToPath(new URL('../../fixtures', import.meta.url))))).toBe('folder');
    expect(targetKind(await mkdtemp(join(tmpdir(), 'oi-kind-')))).toBe('folder');
  });
});
