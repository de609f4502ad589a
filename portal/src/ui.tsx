/**
 * Small shared pieces of the pages: the page heading that takes the focus on arrival, messages,
 * buttons that say when they are busy, modal dialogs, and a wrapper for data that is not to be
 * translated.
 */
import type { ButtonHTMLAttributes, ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { apiErrorText, lang, messages, t, type MessageKey } from './i18n';
import { asApiError, type ApiError } from './api/client';

/** The page's h1: focused when the page opens (screen readers announce it), and the tab title. */
export function PageTitle({ children, title }: { children: ComponentChildren; title: string }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${title} – ReadRoom`;
    ref.current?.focus();
  }, [title]);
  return (
    <h1 id="page-title" tabIndex={-1} ref={ref}>
      {children}
    </h1>
  );
}

/**
 * A message whose placeholders are elements (a ref, a user name: data shown as it is), in the
 * order the language puts them.
 */
export function Tx({ k, params }: { k: MessageKey; params: Record<string, ComponentChildren> }) {
  const parts = messages[lang.value][k].split(/(\{\w+\})/);
  return <>{parts.map((p) => (/^\{\w+\}$/.test(p) ? params[p.slice(1, -1)] : p))}</>;
}

/** Values from the server or the study (ids, codes, e-mails): shown as they are, never translated. */
export function Data({ children, as = 'span' }: { children: ComponentChildren; as?: 'span' | 'code' | 'td' }) {
  const Tag = as;
  return <Tag translate={false}>{children}</Tag>;
}

export function Alert({ kind = 'error', children, id }: { kind?: 'error' | 'warning' | 'info' | 'success'; children: ComponentChildren; id?: string }) {
  // Errors interrupt (role=alert); the rest are announced politely.
  return (
    <div id={id} class={`message ${kind}`} role={kind === 'error' ? 'alert' : 'status'}>
      {children}
    </div>
  );
}

/** An API failure in the page's language (the server's English text is never shown as is). */
export function ApiProblem({ error, retry }: { error: ApiError; retry?: () => void }) {
  return (
    <Alert>
      <p>{apiErrorText(error)}</p>
      {retry && (
        <button type="button" onClick={retry}>
          {t('common.retry')}
        </button>
      )}
    </Alert>
  );
}

export function Busy({ busy, children, ...rest }: { busy: boolean; children: ComponentChildren } & ButtonHTMLAttributes<HTMLButtonElement>) {
  return (
    <button {...rest} disabled={busy || rest.disabled} aria-busy={busy}>
      {children}
    </button>
  );
}

/**
 * An in-page link (skip links, error summaries): moves the focus to the target without touching
 * the URL fragment, which holds the route.
 */
export function Jump({ to, children, class: cls }: { to: string; children: ComponentChildren; class?: string }) {
  return (
    <a
      href={`#${to}`}
      class={cls}
      onClick={(e) => {
        e.preventDefault();
        const target = document.getElementById(to);
        if (!target) return;
        if (!target.matches('a, button, input, select, textarea, [tabindex]')) target.setAttribute('tabindex', '-1');
        target.focus();
        target.scrollIntoView({ block: 'center' });
      }}
    >
      {children}
    </a>
  );
}

export function Loading() {
  return (
    <p class="loading" role="status">
      {t('common.loading')}
    </p>
  );
}

/**
 * A list the API serves a page at a time (`{ items, cursor? }`): the first page when `deps`
 * change, then "show more" with the cursor.
 */
export function usePaged<T>(load: (cursor?: string) => Promise<{ items: T[]; cursor?: string }>, deps: unknown[]) {
  const [items, setItems] = useState<T[] | undefined>(undefined);
  const [cursor, setCursor] = useState<string | undefined>(undefined);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const fetchPage = async (more: boolean) => {
    setBusy(true);
    setError(undefined);
    try {
      const page = await load(more ? cursor : undefined);
      setItems((before) => (more && before ? [...before, ...page.items] : page.items));
      setCursor(page.cursor);
    } catch (e) {
      setError(asApiError(e));
    } finally {
      setBusy(false);
    }
  };
  useEffect(() => {
    setItems(undefined);
    void fetchPage(false);
  }, deps);
  return { items, cursor, error, busy, more: () => void fetchPage(true), reload: () => void fetchPage(false) };
}

/** "Show more" under a paged list, while the API says there is more. */
export function More({ list }: { list: { cursor?: string; busy: boolean; more: () => void } }) {
  if (!list.cursor) return null;
  return (
    <Busy busy={list.busy} type="button" onClick={list.more}>
      {t('common.more')}
    </Busy>
  );
}

/**
 * A ref for a `<dialog>` shown modal once it is mounted (the page behind it inert, the focus
 * inside). Escape does not close it: it calls `onEscape`, and its owner decides what that means.
 */
export function useModal(onEscape: () => void) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
    const cancel = (e: Event) => {
      e.preventDefault();
      onEscape();
    };
    d?.addEventListener('cancel', cancel);
    return () => d?.removeEventListener('cancel', cancel);
  }, []);
  return ref;
}
