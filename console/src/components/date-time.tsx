import dayjs from 'dayjs';

/** Epoch ms of an RFC 3339 text or an epoch-ms number; undefined for anything else ('' included). */
export function instantOf(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && value !== '') {
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? undefined : ms;
  }
  return undefined;
}

/** The UTC form shown on hover: `2025-01-02 03:04:05.678 UTC`. */
export function utcText(ms: number): string {
  return `${new Date(ms).toISOString().replace('T', ' ').replace('Z', '')} UTC`;
}

/** An instant in the viewer's time zone, with its UTC time in a tooltip (title) on hover. */
export function DateTime({ ms, withSeconds = true }: { ms: number; withSeconds?: boolean }) {
  const local = dayjs(ms).format(withSeconds ? 'YYYY-MM-DD HH:mm:ss' : 'YYYY-MM-DD HH:mm');
  return (
    <time dateTime={new Date(ms).toISOString()} title={utcText(ms)}>
      {local}
    </time>
  );
}
