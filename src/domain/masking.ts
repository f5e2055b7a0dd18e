/**
 * Masks a recipient for display, as the AuthMS reference shows: the phone number `13800138000`
 * reads `138****8000` and the e-mail address `alice@example.com` reads `a***@example.com`.
 * Other values (device tokens, short numbers) keep fewer characters the shorter they are;
 * values under 4 characters are masked whole.
 */
export function maskRecipient(recipient: string): string {
  const at = recipient.lastIndexOf('@');
  if (at > 0) return `${Array.from(recipient.slice(0, at))[0] ?? ''}***${recipient.slice(at)}`;
  const chars = Array.from(recipient);
  const [head, tail] =
    chars.length >= 11 ? [3, 4] : chars.length >= 7 ? [2, 2] : chars.length >= 4 ? [1, 1] : [0, 0];
  return `${chars.slice(0, head).join('')}****${chars.slice(chars.length - tail).join('')}`;
}
