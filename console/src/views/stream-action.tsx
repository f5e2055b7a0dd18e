import { App, Button, Popconfirm } from 'antd';
import { useState } from 'react';
import type { StreamItem } from '../api/types';
import { useI18n } from '../i18n/i18n-context';

/**
 * A row's Pause or Resume. Pausing asks first (nothing is delivered until someone resumes);
 * resuming does not (it only retries at once). The outcome is said in a message; the row itself
 * becomes the API's answer.
 */
export function StreamAction({
  stream,
  onPaused,
}: {
  stream: StreamItem;
  onPaused: (stream: StreamItem, paused: boolean) => Promise<void>;
}) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const [busy, setBusy] = useState(false);
  const pause = stream.state !== 'paused';
  const name = stream.name;

  const act = async () => {
    setBusy(true);
    try {
      await onPaused(stream, pause);
      void message.success(t(pause ? 'streams.pausedDone' : 'streams.resumedDone', { name }));
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      void message.error(t(pause ? 'streams.pauseFailed' : 'streams.resumeFailed', { name, reason }));
    } finally {
      setBusy(false);
    }
  };

  if (!pause) {
    return (
      <Button
        size="small"
        type="primary"
        loading={busy}
        onClick={() => void act()}
        aria-label={t('streams.resumeLabel', { name })}
        data-testid="stream-resume"
      >
        {t('streams.resume')}
      </Button>
    );
  }
  return (
    <Popconfirm
      title={t('streams.pauseTitle', { name })}
      description={t('streams.pauseConfirm')}
      okText={t('streams.pause')}
      cancelText={t('cancel')}
      okButtonProps={{ danger: true }}
      onConfirm={() => {
        void act();
      }}
    >
      <Button
        size="small"
        danger
        loading={busy}
        aria-label={t('streams.pauseLabel', { name })}
        data-testid="stream-pause"
      >
        {t('streams.pause')}
      </Button>
    </Popconfirm>
  );
}
