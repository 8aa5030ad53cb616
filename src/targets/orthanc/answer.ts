import { ImporterError } from '../../core/errors.js';
import type { Exchange } from '../http/client.js';
import { standardPolicy, type AnswerPolicy } from '../http/policy.js';

/** Orthanc's ErrorCode_InexistentItem: its answer to a metadata or attachment name it does not declare. */
export const INEXISTENT_ITEM = 7;
/** Orthanc's ErrorCode_UnknownResource: no resource has this ID. */
export const UNKNOWN_RESOURCE = 17;

/** The fields of Orthanc's JSON answers this backend reads (an upload's, an error's). */
interface OrthancAnswer {
  ID?: unknown;
  Status?: unknown;
  Message?: unknown;
  Details?: unknown;
  OrthancStatus?: unknown;
}

/**
 * Orthanc's ErrorCode_CannotWriteFile. Orthanc 1.10 answers a full storage disk with HTTP 500
 * {"Message": "Cannot write to file", "OrthancStatus": 14} (test/e2e/interruptions.test.ts, on a
 * tmpfs); it sends 507 only for its own MaximumStorageSize limit.
 */
const CANNOT_WRITE_FILE = 14;

// Why: a request's answer in a few words, for a message.
export const answered = (exchange: Exchange): string => {
  if (exchange.kind === 'failed') return exchange.reason;
  const { Message: message } = parseAnswer(exchange.text);
  return `HTTP ${exchange.statusCode}${typeof message === 'string' ? ` ${message}` : ''}`;
};

// Why: Orthanc answers JSON objects; anything else (an empty body, a proxy's HTML) reads as {}.
export const parseAnswer = (text: string): OrthancAnswer => {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? value : {};
  } catch {
    return {};
  }
};

const standard = standardPolicy((text) => {
  const { Message: message } = parseAnswer(text);
  return typeof message === 'string' ? message : undefined;
});

// Why: what Orthanc's answers mean for the run: a full target (507 for its MaximumStorageSize, 500
// "Cannot write to file" for its disk) stops it; the rest as for every HTTP target.
export const orthancPolicy: AnswerPolicy = (statusCode, text) => {
  if (statusCode === 507) {
    throw new ImporterError('E_TARGET_FULL', 'The target is full (HTTP 507, MaximumStorageSize in Reject mode); the run stops, free space there and run it again to resume');
  }
  if (statusCode === 500 && parseAnswer(text).OrthancStatus === CANNOT_WRITE_FILE) {
    throw new ImporterError(
      'E_TARGET_FULL',
      `The target's disk is full: Orthanc answered HTTP 500 "Cannot write to file" (or its storage folder is not writable); ` +
        'the run stops, free space there and run the same command again to resume',
    );
  }
  return standard(statusCode, text);
};

// Why: carrying the extras (carry.ts), Orthanc answers 403 to a type it keeps for itself (a system
// metadata a later Orthanc added, say): an answer to report, not refused credentials (those were
// taken by the instance's own upload just before).
export const extrasPolicy: AnswerPolicy = (statusCode, text) => (statusCode === 403 ? { kind: 'answer' } : orthancPolicy(statusCode, text));
