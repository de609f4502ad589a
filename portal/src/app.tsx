/**
 * The portal's frame: sign-in until there is a session, then the header (study, navigation by
 * role, language, sign-out) and the page of the route. An expired sign-in shows the sign-in form
 * as a dialog over the page, so the page (and a draft on it) stays as it is.
 */
import { createContext, type ComponentChildren } from 'preact';
import { useContext, useEffect, useState } from 'preact/hooks';
import type { ApiError, ReadRoomApi } from './api/client';
import { asApiError } from './api/client';
import type { Me, Study } from './api/types';
import type { PortalConfig } from './config';
import { endAllStreaming, type EmbedProvider } from './embed/streaming';
import { draftKeysOf } from './form/read-controller';
import { lang, t, type Lang } from './i18n';
import { href, route, type Route } from './router';
import type { AuthSession } from './session';
import { ApiProblem, Data, Jump, Loading, Tx, useModal } from './ui';
import { SignIn } from './pages/sign-in';
import { Home } from './pages/home';
import { Reading } from './pages/reading';
import { AdjudicationList } from './pages/adjudication-list';
import { AdjudicationPage } from './pages/adjudication';
import { Coordinator } from './pages/coordinator';

export interface Services {
  config: PortalConfig;
  session: AuthSession;
  api: ReadRoomApi;
  embeds: EmbedProvider;
  /** localStorage (drafts, the language choice). */
  storage: Pick<Storage, 'getItem' | 'setItem' | 'removeItem' | 'key' | 'length'>;
}

/** What every page of a signed-in person needs: the profile and the study. */
export interface Profile {
  me: Me;
  study: Study;
}

const ServicesContext = createContext<Services | undefined>(undefined);
const ProfileContext = createContext<Profile | undefined>(undefined);

export function useServices(): Services {
  const s = useContext(ServicesContext);
  if (!s) throw new Error('useServices outside <App>');
  return s;
}

export function useProfile(): Profile {
  const p = useContext(ProfileContext);
  if (!p) throw new Error('useProfile outside a signed-in page');
  return p;
}

export const hasRole = (me: Me, ...roles: string[]) => roles.some((r) => me.roles.includes(r));

/** Which pages a role may open (the API checks again; this only keeps the navigation honest). */
export function allowed(me: Me, r: Route): boolean {
  switch (r.page) {
    case 'read':
      return hasRole(me, 'reader');
    case 'adjudications':
    case 'adjudication':
      return hasRole(me, 'adjudicator');
    case 'coordinator':
      return hasRole(me, 'coordinator', 'admin');
    default:
      return true;
  }
}

const LANG_KEY = 'readroom.lang';

export function setLanguage(next: Lang, storage?: Services['storage']): void {
  lang.value = next;
  document.documentElement.lang = next;
  storage?.setItem(LANG_KEY, next);
}

export { LANG_KEY };

function LanguageSwitch() {
  const { storage } = useServices();
  const other: Lang = lang.value === 'en' ? 'ko' : 'en';
  return (
    <button type="button" class="link-button" lang={other} title={t('app.switchToLabel')} onClick={() => setLanguage(other, storage)}>
      {t('app.switchTo')}
    </button>
  );
}

function Header({ profile }: { profile?: Profile }) {
  const { session, storage } = useServices();
  const user = session.user;
  const me = profile?.me;
  // Unsaved drafts counted when sign-out was asked for: the dialog shows while there are some.
  const [unsaved, setUnsaved] = useState(0);
  const signOut = () => {
    setUnsaved(0);
    if (user) for (const key of draftKeysOf(storage, user.sub)) storage.removeItem(key);
    endAllStreaming();
    void session.signOut();
  };
  const current = route.value.page;
  const link = (to: Route, text: string, active: boolean) => (
    <li>
      <a href={href(to)} aria-current={active ? 'page' : undefined}>
        {text}
      </a>
    </li>
  );
  return (
    <header class="top">
      <Jump to="main" class="skip">
        {t('app.skip')}
      </Jump>
      <div class="brand">
        <span class="product">{t('app.name')}</span>
        {/* The study's own name, as its file spells it: data, not an interface string. */}
        {profile && (
          <span class="study" translate={false}>
            {profile.study.displayName}
          </span>
        )}
      </div>
      {me && (
        <nav aria-label={t('app.nav')}>
          <ul>
            {hasRole(me, 'reader') && link({ page: 'home' }, t('app.nav.home'), current === 'home' || current === 'read')}
            {hasRole(me, 'adjudicator') && link({ page: 'adjudications' }, t('app.nav.adjudications'), current === 'adjudications' || current === 'adjudication')}
            {hasRole(me, 'coordinator', 'admin') && link({ page: 'coordinator', tab: 'progress' }, t('app.nav.coordinator'), current === 'coordinator')}
          </ul>
        </nav>
      )}
      <div class="account">
        <LanguageSwitch />
        {user && (
          <>
            <span class="who">
              <Tx k="app.signedInAs" params={{ user: <Data>{user.username}</Data> }} />
            </span>
            <button
              type="button"
              onClick={() => {
                const n = draftKeysOf(storage, user.sub).length;
                if (n > 0) setUnsaved(n);
                else signOut();
              }}
            >
              {t('app.signOut')}
            </button>
            {unsaved > 0 && <SignOutDialog unsaved={unsaved} onStay={() => setUnsaved(0)} onSignOut={signOut} />}
          </>
        )}
      </div>
    </header>
  );
}

/**
 * Sign-out while answers are not saved yet (offline, or a save refused): signing out removes them
 * from this browser, so it asks first. "Stay" (or Escape) keeps the session and the answers, which
 * save themselves once the server takes them.
 */
function SignOutDialog({ unsaved, onStay, onSignOut }: { unsaved: number; onStay: () => void; onSignOut: () => void }) {
  const ref = useModal(onStay);
  return (
    <dialog ref={ref} class="dialog sign-out" aria-labelledby="sign-out-title" aria-describedby="sign-out-text">
      <h2 id="sign-out-title">{t('app.signOut.title')}</h2>
      <p id="sign-out-text">{t('app.signOut.unsaved', { count: unsaved })}</p>
      <div class="actions">
        <button type="button" autofocus onClick={onStay}>
          {t('app.signOut.stay')}
        </button>
        <button type="button" onClick={onSignOut}>
          {t('app.signOut.discard')}
        </button>
      </div>
    </dialog>
  );
}

/** The page for the route, once the profile and the study are loaded. */
function Page({ profile }: { profile: Profile }) {
  const r = route.value;
  const me = profile.me;
  if (me.roles.length === 0) return <p class="message warning">{t('app.noRole')}</p>;
  if (!allowed(me, r)) return <p class="message warning">{t('app.notAllowed')}</p>;
  switch (r.page) {
    case 'home':
      if (hasRole(me, 'reader')) return <Home />;
      if (hasRole(me, 'adjudicator')) return <AdjudicationList />;
      return <Coordinator tab="progress" />;
    case 'read':
      return <Reading key={r.ref} ref_={r.ref} />;
    case 'adjudications':
      return <AdjudicationList />;
    case 'adjudication':
      return <AdjudicationPage key={r.caseId} caseId={r.caseId} />;
    case 'coordinator':
      return <Coordinator tab={r.tab} />;
    case 'notFound':
      return <p class="message warning">{t('app.notFound')}</p>;
  }
}

/** Loads GET /me and GET /study once per signed-in user. */
function SignedIn({ children }: { children?: ComponentChildren }) {
  const { api, session } = useServices();
  const sub = session.user?.sub;
  const [profile, setProfile] = useState<Profile | undefined>(undefined);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    let live = true;
    setError(undefined);
    Promise.all([api.me(), api.study()])
      .then(([me, study]) => live && setProfile({ me, study }))
      .catch((e) => live && setError(asApiError(e)));
    return () => {
      live = false;
    };
  }, [api, sub, attempt]);
  return (
    <>
      <Header profile={profile} />
      <main id="main" tabIndex={-1}>
        {error ? <ApiProblem error={error} retry={() => setAttempt((n) => n + 1)} /> : profile ? <ProfileContext.Provider value={profile}>{<Page profile={profile} />}</ProfileContext.Provider> : <Loading />}
      </main>
      {children}
    </>
  );
}

export function App({ services }: { services: Services }) {
  const state = services.session.state.value;
  return (
    <ServicesContext.Provider value={services}>
      {state.kind === 'loading' ? (
        <main id="main">
          <Loading />
        </main>
      ) : state.kind === 'signedIn' ? (
        <SignedIn />
      ) : state.kind === 'expired' ? (
        <SignedIn>
          <SignIn dialog />
        </SignedIn>
      ) : (
        <>
          <Header />
          <main id="main" tabIndex={-1}>
            <SignIn />
          </main>
        </>
      )}
    </ServicesContext.Provider>
  );
}

/** Shown instead of the portal when config.json is missing or wrong. */
export function ConfigProblem({ detail }: { detail: string }) {
  return (
    <main id="main">
      <h1>{t('app.name')}</h1>
      <p class="message error" role="alert">
        <Tx k="app.configProblem" params={{ detail: <Data as="code">{detail}</Data> }} />
      </p>
    </main>
  );
}
