// How the DICOMweb target judges an HTTP answer before reading it: the classes every HTTP target
// shares, plus the answers that say this server will take no instance at all.
import { ImporterError } from '../../core/errors.js';
import { standardPolicy, type AnswerPolicy } from '../http/policy.js';

const standard = standardPolicy(() => undefined);

// Why: 415 to a STOW-RS request means the server does not take application/dicom parts: every
// request would meet it; 507 means it is full. Both stop the run with one line.
export const dicomwebPolicy =
  (display: string): AnswerPolicy =>
  (statusCode, text) => {
    if (statusCode === 415) {
      throw new ImporterError('E_TARGET_NOT_DICOMWEB', `The DICOMweb server ${display} does not take multipart/related; type="application/dicom" requests (HTTP 415): is the URL its DICOMweb root?`);
    }
    if (statusCode === 507) {
      throw new ImporterError('E_TARGET_FULL', `The DICOMweb server ${display} is full (HTTP 507); the run stops, free space there and run it again to resume`);
    }
    return standard(statusCode, text);
  };
