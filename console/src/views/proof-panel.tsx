import { Button, Typography } from 'antd';
import dayjs from 'dayjs';
import type { LogItem } from '../api/types';
import { useI18n } from '../i18n/i18n-context';
import type { KindSpec } from '../kinds';
import { checkProof } from '../proof/check-proof';
import { useApi } from '../use-api';

/**
 * The record's integrity proof, checked in this browser when the drawer opens: "verified" (green)
 * with the checkpoint's size and the time of the check, "failed" (red) with the reason, or
 * "pending" (not in a signed checkpoint yet) with a retry. Tests find it by data-testid
 * "proof-status" and its data-state.
 */
export default function ProofPanel({ spec, item }: { spec: KindSpec; item: LogItem }) {
  const { t } = useI18n();
  const result = useApi(`${spec.kind}/${item.tenant_id}/${item.id}`, () => checkProof(spec, item));
  const outcome = result.data;
  let state: 'checking' | 'verified' | 'failed' | 'pending' = 'checking';
  let detail = '';
  if (result.error !== undefined) {
    state = 'failed';
    detail = result.error.message;
  } else if (outcome !== undefined) {
    state = outcome.state;
    if (outcome.state === 'verified') {
      detail = `${t('proofVerifiedDetail', {
        index: outcome.leafIndex,
        size: outcome.size,
        origin: outcome.origin,
        time: dayjs(outcome.checkedAt).format('YYYY-MM-DD HH:mm:ss'),
      })} ${t('proofLeafMatches', { fields: outcome.compared })}`;
    } else if (outcome.state === 'failed') {
      detail = t(outcome.reason.id, outcome.reason.values);
    } else {
      detail = t('proofPendingDetail');
    }
  }
  return (
    <section className="proof" aria-labelledby="proof-title" aria-live="polite">
      <Typography.Title level={2} id="proof-title" className="drawer-section">
        {t('proof')}
      </Typography.Title>
      <span data-testid="proof-status" data-state={state} className={`proof-status proof-${state}`}>
        {t(`proof.${state}`)}
      </span>
      {state !== 'checking' && (
        <Typography.Paragraph
          data-testid="proof-detail"
          data-size={outcome?.state === 'verified' ? outcome.size : undefined}
          className="proof-detail"
        >
          {detail}
        </Typography.Paragraph>
      )}
      {state === 'pending' && (
        <Button onClick={result.reload} data-testid="proof-retry">
          {t('retry')}
        </Button>
      )}
    </section>
  );
}
