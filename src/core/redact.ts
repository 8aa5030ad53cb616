// Credentials out of any URL the user typed, whatever its shape, before it is echoed anywhere.

const SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;

// Why: a password may sit in a URL no parser accepts (`http://admin:my/secret@host:80800`), so the
// user part is cut by hand: everything between the scheme (or the start) and the last '@' goes.
export const redactUrl = (text: string): string => {
  const at = text.lastIndexOf('@');
  if (at === -1) return text;
  const start = SCHEME.exec(text)?.[0].length ?? 0;
  return at < start ? text : `${text.slice(0, start)}…@${text.slice(at + 1)}`;
};
