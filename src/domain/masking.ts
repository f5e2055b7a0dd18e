/**
 * Masks a recipient for display, as the AuthMS reference shows: the phone number `13800138000`
 * reads `138****8000` and the e-mail address `alice@example.com` reads `a***@example.com`.
 * Other values (device tokens, short numbers) keep fewer characters the shorter they are;
 * values under 4 characters are masked whole.
 */
export function maskRecipient(recipient: string): string {
  const at = recipient.lastIndexOf('@');
  // By code point, so that a character outside the BMP is never cut in half.
  if (at > 0) return `${String.fromCodePoint(recipient.codePointAt(0) ?? 0)}***${recipient.slice(at)}`;
  // Most recipients hold no surrogate pair: their UTF-16 units are their characters.
  const chars: { length: number; slice(start: number, end?: number): string | string[] } = SURROGATE.test(
    recipient,
  )
    ? Array.from(recipient)
    : recipient;
  const [head, tail] =
    chars.length >= 11 ? [3, 4] : chars.length >= 7 ? [2, 2] : chars.length >= 4 ? [1, 1] : [0, 0];
  return `${joined(chars.slice(0, head))}****${joined(chars.slice(chars.length - tail))}`;
}

const SURROGATE = /[\uD800-\uDFFF]/;

const joined = (part: string | string[]) => (typeof part === 'string' ? part : part.join(''));
