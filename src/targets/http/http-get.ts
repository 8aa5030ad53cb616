import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connectOptions, type TlsSettings } from './tls.js';

/** The code of the error for an answer over the caller's size limit. */
export const ANSWER_TOO_LARGE = 'E_ANSWER_TOO_LARGE';

/** How long a GET may stay silent, and how large its answer may be. */
export interface GetLimits {
  readonly timeoutMs: number;
  readonly maxBytes: number;
}

// Why: a GET over node:http, not undici: loading undici (which loads Node's own copy too) costs
// about 60 ms (bench/startup-bench.ts), which a run that asks the target but sends nothing should
// not pay. One connection per request: these are few (GET /system, pages of the listing). `tls`:
// the endpoint's (an https:// URL).
export const httpGet = (url: string, headers: Readonly<Record<string, string>>, limits: GetLimits, tls: TlsSettings): Promise<{ statusCode: number; headers: IncomingHttpHeaders; text: string }> =>
  new Promise((resolve, reject) => {
    const https = url.startsWith('https:');
    const onResponse = (response: IncomingMessage): void => {
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > limits.maxBytes) response.destroy(Object.assign(new Error(`an answer over ${limits.maxBytes} bytes`), { code: ANSWER_TOO_LARGE }));
        else chunks.push(chunk);
      });
      response.on('end', () => {
        resolve({ statusCode: response.statusCode ?? 0, headers: response.headers, text: Buffer.concat(chunks).toString('utf8') });
      });
      response.on('error', reject);
    };
    const options = { headers: { ...headers, connection: 'close' }, agent: false, timeout: limits.timeoutMs };
    const req = https ? httpsRequest(url, { ...options, ...connectOptions(tls) }, onResponse) : httpRequest(url, options, onResponse);
    req.on('timeout', () => req.destroy(Object.assign(new Error(`no answer within ${limits.timeoutMs / 1000} s`), { code: 'ETIMEDOUT' })));
    req.on('error', reject);
    req.end();
  });
