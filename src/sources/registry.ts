// Every kind of source, in one list: a path is read by the first backend that takes it, and by the
// walk when none does. A new source is one folder under src/sources/ and one line in SOURCES.
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { ImporterError } from '../core/errors.js';
import { errnoCode, errnoOrMessage } from '../core/errno.js';
import { redactUrl } from '../core/redact.js';
import type { ImportOptions } from '../core/options.js';
import type { LocatedSource, RemoteSourceOptions, SourceBackend, SourceOptions, SourcePath } from './source.js';
import { isOrthancUrl, locateRest } from './orthanc-rest/rest-source.js';
import { orthancStorage } from './orthanc-storage/locate-storage.js';
import { locateWalk } from './walk/walk-source.js';
import { parseEndpoint } from '../targets/http/endpoint.js';

/** Asked in this order; a path none of them takes is walked (walk/). */
const SOURCES: readonly SourceBackend[] = [orthancStorage];

// What a missing source that was meant as a server's URL was likely meant to be (`127.0.0.1:8042`,
// `http:/host:8042`, `dicomweb+http://…`), else ''.
const urlHint = (source: string): string => {
  const shown = redactUrl(source);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(source)) return `: only a running Orthanc (http:// or https://) is read over the network`;
  const slashless = /^(https?):\/?([^/].*)$/i.exec(source);
  if (slashless !== null) return `: did you mean ${redactUrl(`${slashless[1] ?? 'http'}://${slashless[2] ?? ''}`)}?`;
  return /^[\w.@%:-]+:\d+(\/|$)/.test(source) ? `: did you mean http://${shown}?` : '';
};

const pathOf = (source: string): SourcePath => {
  const root = resolve(source);
  try {
    return { root, isDirectory: statSync(root).isDirectory() };
  } catch (error) {
    const hint = errnoCode(error) === 'ENOENT' ? urlHint(source) : '';
    throw new ImporterError('E_SOURCE', `Cannot read the source ${redactUrl(root)} (${errnoOrMessage(error)})${hint}`, { cause: error });
  }
};

// Why: the source as the run names it before it is opened (the log's first line), as its summary
// will: a running Orthanc's URL without credentials, a path made absolute.
export const sourceDisplay = (source: string): string => {
  if (!isOrthancUrl(source)) return resolve(source);
  try {
    return parseEndpoint(source, {}, 'source').display;
  } catch {
    return redactUrl(source);
  }
};

/** What a running Orthanc as the source takes of the run's options, beside SourceOptions. */
type RemoteOptions = RemoteSourceOptions & Pick<ImportOptions, 'filter' | 'inlineLimit' | 'follow' | 'signal' | 'target'>;

// Why: the run never asks what kind of source it reads; this decides, before anything is opened,
// from what the path is (a URL: a running Orthanc, never looked for on disk; a storage with its
// index; else any folder or file).
export const locateSource = async (options: SourceOptions, remote?: RemoteOptions): Promise<LocatedSource> => {
  if (isOrthancUrl(options.source)) {
    if (remote === undefined) throw new ImporterError('E_USAGE', `The source ${redactUrl(options.source)} is a URL: give the options of a running Orthanc source too`);
    return locateRest(options.source, { ...remote, studiesInFlight: options.studiesInFlight });
  }
  const path = pathOf(options.source);
  for (const backend of SOURCES) {
    const located = await backend.locate(path, options);
    if (located !== undefined) return located;
  }
  return locateWalk(path, options);
};
