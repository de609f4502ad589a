/**
 * The image session beside a form (reading and adjudication pages): the embedded session, or a
 * link to a new tab, with what happens in words and the buttons to reconnect or end it.
 */
import { useEffect, useMemo } from 'preact/hooks';
import type { StreamingSession } from '../api/types';
import { useServices } from '../app';
import { StreamingController } from '../embed/streaming';
import { apiErrorText, t } from '../i18n';
import { Alert } from '../ui';

export function StreamingPanel({ issue, id }: { issue: () => Promise<StreamingSession>; id: string }) {
  const { embeds, config } = useServices();
  const containerId = `${id}-embed`;
  const controller = useMemo(() => new StreamingController(issue, embeds, containerId, { streamingDomain: config.streamingDomain, frameTitle: t('stream.frame') }), [id]);
  useEffect(() => {
    void controller.start();
    return () => controller.dispose();
  }, [controller]);

  const status = controller.status.value;
  const failure = controller.failure.value;
  const notice = controller.notice.value;
  const link = controller.link.value;
  const embedded = status === 'connecting' || status === 'started' || status === 'disconnected' || status === 'ended';
  const words: Partial<Record<typeof status, string>> = {
    requesting: t('stream.requesting'),
    connecting: t('stream.connecting'),
    started: t('stream.started'),
    disconnected: t('stream.disconnected'),
    ended: t('stream.ended'),
    linkExpired: t('stream.linkExpired'),
  };
  return (
    <section class="streaming" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`} class="visually-hidden">
        {t('stream.title')}
      </h2>
      <div class="stream-bar">
        <p role="status" class="stream-status">
          {words[status] ?? ''}
        </p>
        {(status === 'ended' || status === 'disconnected' || status === 'failed') && (
          <button type="button" onClick={() => void controller.reconnect()}>
            {t('stream.reconnect')}
          </button>
        )}
        {(status === 'started' || status === 'connecting' || status === 'disconnected') && (
          <button type="button" onClick={() => controller.end()}>
            {t('stream.end')}
          </button>
        )}
      </div>
      {notice && <Alert kind="info">{t(notice === 'notConfigured' ? 'stream.notConfigured' : 'stream.scriptFailed')}</Alert>}
      {status === 'link' && link && (
        <p class="open-tab">
          <a class="button primary" href={link} target="_blank" rel="noopener noreferrer">
            {t('stream.openTab')}
          </a>
        </p>
      )}
      {status === 'linkExpired' && (
        <button type="button" onClick={() => void controller.reconnect()}>
          {t('stream.newLink')}
        </button>
      )}
      {status === 'failed' && failure && (
        <Alert>
          <p>{failure.code === 'embed' ? t('stream.embedError', { detail: failure.message || '-' }) : apiErrorText(failure as Exclude<typeof failure, { code: 'embed' }>)}</p>
        </Alert>
      )}
      {/* The library injects its iframe here; kept in the page (not re-rendered) while the session runs. */}
      <div id={containerId} class={`embed ${embedded ? '' : 'empty'}`} />
    </section>
  );
}
