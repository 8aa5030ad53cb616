// An https:// URL of a server that speaks plain HTTP, or an http:// URL of one that expects TLS:
// the connection fails with a code that names neither (EPROTO, ECONNRESET). Once it failed so,
// the server is asked the other way; only its answer lets the message say which it is.
import { connect } from 'node:tls';
import { errnoCode } from '../../core/errno.js';
import { httpGet } from './http-get.js';
import { DEFAULT_TLS } from './tls.js';

/** The probe is quick or not at all: it only runs on the way to a run-stopping message. */
const PROBE_MS = 3000;

// What a TLS client gets from a plain HTTP server: it reads "HTTP/1.1 400" as a record header
// (node:https says EPROTO, with OpenSSL's words), or the connection is closed.
const PLAIN_ANSWER = /^(ECONNRESET|ERR_SSL_WRONG_VERSION_NUMBER|ERR_SSL_PACKET_LENGTH_TOO_LONG|UND_ERR_SOCKET)$/;
const PLAIN_WORDS = /wrong version number|packet length too long/i;
// What an HTTP client gets from a TLS server: a closed connection, or a TLS alert it cannot parse.
const TLS_ANSWER = /^(ECONNRESET|UND_ERR_SOCKET|HPE_.*)$/;

// True when a TLS handshake with host:port completes. Nothing is sent over it (no request, no
// credentials) and any certificate will do: the question is only whether the server speaks TLS.
const speaksTls = (host: string, port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = connect({ host, port, rejectUnauthorized: false, timeout: PROBE_MS }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('timeout', () => socket.destroy());
    socket.on('error', () => { resolve(false); });
    socket.on('close', () => { resolve(false); });
  });

// True when the origin answers a plain HTTP GET / at all.
const speaksHttp = (origin: string): Promise<boolean> =>
  httpGet(`${origin}/`, {}, { timeoutMs: PROBE_MS, maxBytes: 64 * 1024 }, DEFAULT_TLS).then(() => true, () => false);

// Why: the message for a URL whose scheme the server does not speak says so, with the URL to use
// (`display`: the URL as the user wrote it, without credentials); undefined when that is not it.
export const explainWrongScheme = async (origin: string, display: string, error: unknown): Promise<string | undefined> => {
  const code = errnoCode(error) ?? '';
  const plainAnswer = PLAIN_ANSWER.test(code) || (code === 'EPROTO' && PLAIN_WORDS.test((error as Error).message));
  const url = new URL(origin);
  const port = Number(url.port !== '' ? url.port : url.protocol === 'https:' ? 443 : 80);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  // A server that completes a handshake speaks TLS, whatever it answers in plain HTTP (nginx's 400).
  if (url.protocol === 'https:' && plainAnswer && (await speaksHttp(`http://${url.hostname}:${port}`)) && !(await speaksTls(host, port))) {
    return `the server speaks plain HTTP, not HTTPS (${code}): use ${display.replace('https://', 'http://')}`;
  }
  if (url.protocol === 'http:' && TLS_ANSWER.test(code) && (await speaksTls(host, port))) {
    return `the server expects HTTPS (${code}): use ${display.replace('http://', 'https://')}`;
  }
  return undefined;
};
