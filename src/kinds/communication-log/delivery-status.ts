import { ConflictError } from '../../domain/errors.js';
import type { DeliveryStatus } from './communication-log-table.js';

/** How far along its delivery a message is; a status may only move to a higher rank. */
const RANK: Record<DeliveryStatus, number> = { pending: 0, sent: 1, delivered: 2, failed: 2 };

/** What applying a receipt to a log's current status does. */
export type TransitionDecision = 'apply' | 'unchanged';

/**
 * Decides whether a delivery receipt may move a log from `current` to `next`.
 * Forward moves (pending → sent → delivered | failed, skipping steps allowed) apply; the same
 * status again is a duplicated receipt and changes nothing; anything backwards, or from one
 * final state to the other, is a ConflictError.
 */
export function decideTransition(current: DeliveryStatus, next: DeliveryStatus): TransitionDecision {
  if (current === next) return 'unchanged';
  if (RANK[next] > RANK[current]) return 'apply';
  throw new ConflictError(
    `status cannot move from ${current} to ${next}: delivery status only moves forward`,
  );
}
