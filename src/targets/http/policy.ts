import { ImporterError } from '../../core/errors.js';

/**
 * How a backend judges one HTTP answer: hand it to the caller, or ask again (`cause`: what failed,
 * in the backend's words, without what changes from one request to the next). An answer that
 * stops the run makes the policy throw an ImporterError.
 */
export type AnswerPolicy = (statusCode: number, text: string) => { readonly kind: 'answer' } | { readonly kind: 'transient'; readonly cause: string };

/** Answers of a live server worth asking again: too many requests, and the server's passing failures. */
const TRANSIENT_STATUS = new Set([429, 500, 502, 503, 504]);

// Why: the classes every HTTP target shares: refused credentials stop the run (the same refusal
// would meet every request), 429/500/502/503/504 are retried, the rest is the backend's to read.
// `message` reads the server's own explanation out of an answer, for the cause.
export const standardPolicy =
  (message: (text: string) => string | undefined): AnswerPolicy =>
  (statusCode, text) => {
    if (statusCode === 401 || statusCode === 403) {
      throw new ImporterError('E_TARGET_AUTH', `The target refused the credentials during the run (HTTP ${statusCode}); the run stops, run it again to resume`);
    }
    if (!TRANSIENT_STATUS.has(statusCode)) return { kind: 'answer' };
    return { kind: 'transient', cause: `HTTP ${statusCode} ${message(text) ?? ''}`.trim() };
  };
