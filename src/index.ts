// The library's public face: everything the CLI uses comes through here.
export { runImport } from './run.js';
export type { ImportEvents } from './events.js';
export { resolveOptions, type ImportInput, type ImportOptions } from './options.js';
export { ImporterError, isImporterError, exitCodeFor, exitCodeOf, type ErrorCode } from './errors.js';
export { formatSummary, type Summary, type Tally } from './report.js';
export type { TargetSystem } from './preflight.js';
export type { FileClass, FileOutcome, Classified, DicomHeader } from './types.js';
