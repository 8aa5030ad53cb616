// The library's public face: everything the CLI uses comes through here.
export { runImport } from './run/run.js';
export type { ImportEvents } from './core/events.js';
export { resolveOptions, type ImportInput, type ImportOptions, type WireCompression } from './core/options.js';
export { ImporterError, isImporterError, exitCodeFor, exitCodeOf, type ErrorCode } from './core/errors.js';
export { formatSummary, type Summary, type Tally } from './record/report.js';
export { EventLog } from './record/event-log.js';
export type { FileClass, FileOutcome, Classified, DicomHeader, DeliveryStatus } from './core/types.js';
