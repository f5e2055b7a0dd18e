import { accessLogKind } from './access-log/access-log-routes.js';
import { communicationLogKind } from './communication-log/communication-log-routes.js';
import type { LogKindModule } from './log-kind-module.js';
import { mfaConfigAuditLogKind } from './mfa-config-audit-log/mfa-config-audit-log-routes.js';
import { operateLogKind } from './operate-log/operate-log-routes.js';

/**
 * Every log kind the HTTP application serves: app.ts registers their routes and OpenAPI tags from
 * this list. (Storage and the CLI read the tables alone, from log-tables.ts.)
 */
export const LOG_KINDS: readonly LogKindModule[] = [
  communicationLogKind,
  mfaConfigAuditLogKind,
  operateLogKind,
  accessLogKind,
];
