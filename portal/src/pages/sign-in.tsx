/**
 * Sign-in through portal/auth only: user name and password (SRP), the first-time new password, TOTP
 * enrolment (QR code and the key as text, then a code), the TOTP code. As a dialog when a signed-in
 * session expired: the same user signs in again over the page they were on.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { TargetedEvent } from 'preact';
import { groupedSecret, otpauthUri, qrSvg } from '../../auth/otpauth';
import { useServices } from '../app';
import { authErrorText, t } from '../i18n';
import type { AuthState } from '../session';
import { Alert, Busy, Data, Tx, useModal } from '../ui';

type Failure = { code: string; message?: string } | undefined;

/** Runs one sign-in step, with the busy flag and the error in words. */
function useStep(): { busy: boolean; failure: Failure; run: (step: () => Promise<unknown>) => Promise<void>; reset: () => void } {
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<Failure>(undefined);
  const run = async (step: () => Promise<unknown>) => {
    setBusy(true);
    setFailure(undefined);
    try {
      await step();
    } catch (e) {
      const err = e as { code?: string; message?: string };
      setFailure({ code: err.code ?? 'UnknownError', message: err.message });
    } finally {
      setBusy(false);
    }
  };
  return { busy, failure, run, reset: () => setFailure(undefined) };
}

function Problem({ failure, user }: { failure: Failure; user?: string }) {
  if (!failure) return null;
  return (
    <Alert>
      <p>{authErrorText(failure, user)}</p>
    </Alert>
  );
}

/** A heading that takes the focus when the step changes, so the new step is announced. */
function StepTitle({ children, id }: { children: string; id: string }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    ref.current?.focus();
  }, [children]);
  return (
    <h1 id={id} tabIndex={-1} ref={ref}>
      {children}
    </h1>
  );
}

const digits = (v: string) => v.replace(/\D/g, '').slice(0, 6);

function CodeField({ value, onInput, id }: { value: string; onInput: (v: string) => void; id: string }) {
  return (
    <div class="field">
      <label for={id}>{t('auth.code')}</label>
      <input
        id={id}
        name="code"
        inputMode="numeric"
        autoComplete="one-time-code"
        pattern="[0-9]{6}"
        maxLength={6}
        required
        aria-describedby={`${id}-hint`}
        value={value}
        onInput={(e) => onInput(digits((e.target as HTMLInputElement).value))}
      />
      <p class="hint" id={`${id}-hint`}>
        {t('auth.codeHint')}
      </p>
    </div>
  );
}

function Credentials({ fixedUser }: { fixedUser?: string }) {
  const { session } = useServices();
  const s = session.state.value;
  const [username, setUsername] = useState(fixedUser ?? (s.kind === 'signedOut' ? (s.username ?? '') : ''));
  const [password, setPassword] = useState('');
  const step = useStep();
  const submit = (e: TargetedEvent<HTMLFormElement>) => {
    e.preventDefault();
    void step.run(() => session.signIn(username.trim(), password));
  };
  return (
    <form onSubmit={submit} aria-labelledby="signin-title" noValidate>
      {fixedUser ? (
        <>
          <StepTitle id="signin-title">{t('auth.expiredTitle')}</StepTitle>
          <p>
            <Tx k="auth.expiredIntro" params={{ user: <Data>{fixedUser}</Data> }} />
          </p>
        </>
      ) : (
        <>
          <StepTitle id="signin-title">{t('auth.title')}</StepTitle>
          <p>{t('auth.intro')}</p>
        </>
      )}
      <div class="field">
        <label for="username">{t('auth.username')}</label>
        <input id="username" name="username" autoComplete="username" required readOnly={!!fixedUser} value={username} onInput={(e) => setUsername((e.target as HTMLInputElement).value)} />
      </div>
      <div class="field">
        <label for="password">{t('auth.password')}</label>
        <input id="password" name="password" type="password" autoComplete="current-password" required value={password} onInput={(e) => setPassword((e.target as HTMLInputElement).value)} />
      </div>
      <Problem failure={step.failure} user={fixedUser} />
      <div class="actions">
        <Busy busy={step.busy} type="submit" class="primary" disabled={!username.trim() || !password}>
          {step.busy ? t('auth.signingIn') : t('auth.submit')}
        </Busy>
        {fixedUser && (
          <button type="button" onClick={() => void session.signOut()}>
            {t('app.signOut')}
          </button>
        )}
      </div>
    </form>
  );
}

function StartAgain() {
  const { session } = useServices();
  return (
    <button type="button" class="link-button" onClick={() => session.restart()}>
      {t('auth.startAgain')}
    </button>
  );
}

function NewPassword() {
  const { session } = useServices();
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [mismatch, setMismatch] = useState(false);
  const step = useStep();
  const submit = (e: TargetedEvent<HTMLFormElement>) => {
    e.preventDefault();
    if (password !== confirm) {
      setMismatch(true);
      return;
    }
    setMismatch(false);
    void step.run(() => session.completeNewPassword(password));
  };
  return (
    <form onSubmit={submit} aria-labelledby="newpw-title" noValidate>
      <StepTitle id="newpw-title">{t('auth.newPasswordTitle')}</StepTitle>
      <p>{t('auth.newPasswordIntro')}</p>
      <div class="field">
        <label for="new-password">{t('auth.newPassword')}</label>
        <input id="new-password" type="password" autoComplete="new-password" required aria-describedby="password-hint" value={password} onInput={(e) => setPassword((e.target as HTMLInputElement).value)} />
        <p class="hint" id="password-hint">
          {t('auth.passwordHint')}
        </p>
      </div>
      <div class="field">
        <label for="confirm-password">{t('auth.confirmPassword')}</label>
        <input
          id="confirm-password"
          type="password"
          autoComplete="new-password"
          required
          aria-invalid={mismatch}
          aria-describedby={mismatch ? 'confirm-error' : undefined}
          value={confirm}
          onInput={(e) => setConfirm((e.target as HTMLInputElement).value)}
        />
        {mismatch && (
          <p class="field-error" id="confirm-error">
            {t('auth.passwordsDiffer')}
          </p>
        )}
      </div>
      <Problem failure={step.failure} />
      <div class="actions">
        <Busy busy={step.busy} type="submit" class="primary" disabled={!password || !confirm}>
          {t('auth.setPassword')}
        </Busy>
        <StartAgain />
      </div>
    </form>
  );
}

function MfaSetup({ state }: { state: Extract<AuthState, { kind: 'mfaSetup' }> }) {
  const { session } = useServices();
  const [code, setCode] = useState('');
  const prepare = useStep();
  const step = useStep();
  useEffect(() => {
    if (!state.secret) void prepare.run(() => session.beginTotpSetup());
    // Once per enrolment step: the secret is then kept in the session state.
  }, [state.step.session]);
  const submit = (e: TargetedEvent<HTMLFormElement>) => {
    e.preventDefault();
    void step.run(() => session.finishTotpSetup(code));
  };
  const uri = state.secret ? otpauthUri({ issuer: 'ReadRoom', account: state.username, secret: state.secret }) : undefined;
  return (
    <form onSubmit={submit} aria-labelledby="mfa-title" noValidate>
      <StepTitle id="mfa-title">{t('auth.mfaSetupTitle')}</StepTitle>
      <p>{t('auth.mfaSetupIntro')}</p>
      {uri && state.secret ? (
        <div class="enrol">
          {/* lean-qr's SVG: one path, no script; labelled for screen readers. */}
          <div class="qr" dangerouslySetInnerHTML={{ __html: qrSvg(uri, t('auth.qrLabel')) }} />
          <p>
            <span id="secret-label">{t('auth.secretLabel')}</span>
            <br />
            <code class="secret" aria-labelledby="secret-label" translate={false}>
              {groupedSecret(state.secret)}
            </code>
          </p>
        </div>
      ) : (
        !prepare.failure && <p role="status">{t('auth.preparing')}</p>
      )}
      <Problem failure={prepare.failure} />
      <CodeField id="setup-code" value={code} onInput={setCode} />
      <Problem failure={step.failure} />
      <div class="actions">
        <Busy busy={step.busy} type="submit" class="primary" disabled={code.length !== 6 || !state.secret}>
          {t('auth.verify')}
        </Busy>
        <StartAgain />
      </div>
    </form>
  );
}

function TotpCode() {
  const { session } = useServices();
  const [code, setCode] = useState('');
  const step = useStep();
  const submit = (e: TargetedEvent<HTMLFormElement>) => {
    e.preventDefault();
    void step.run(() => session.answerTotp(code));
  };
  return (
    <form onSubmit={submit} aria-labelledby="totp-title" noValidate>
      <StepTitle id="totp-title">{t('auth.totpTitle')}</StepTitle>
      <p>{t('auth.totpIntro')}</p>
      <CodeField id="totp-code" value={code} onInput={setCode} />
      <Problem failure={step.failure} />
      <div class="actions">
        <Busy busy={step.busy} type="submit" class="primary" disabled={code.length !== 6}>
          {t('auth.verify')}
        </Busy>
        <StartAgain />
      </div>
    </form>
  );
}

function Step({ state, fixedUser }: { state: AuthState | undefined; fixedUser?: string }) {
  switch (state?.kind) {
    case 'newPassword':
      return <NewPassword />;
    case 'mfaSetup':
      return <MfaSetup state={state} />;
    case 'totp':
      return <TotpCode />;
    case 'unsupported':
      return (
        <div>
          <StepTitle id="unsupported-title">{t('auth.unsupportedTitle')}</StepTitle>
          <Alert>
            <p>
              <Tx k="auth.unsupported" params={{ challenge: <Data>{state.challenge}</Data> }} />
            </p>
          </Alert>
          <StartAgain />
        </div>
      );
    default:
      return <Credentials fixedUser={fixedUser} />;
  }
}

export function SignIn({ dialog = false }: { dialog?: boolean }) {
  const { session } = useServices();
  const s = session.state.value;
  if (!dialog) return <div class="sign-in">{<Step state={s} />}</div>;
  if (s.kind !== 'expired') return null;
  // Over the page: the rest of the page is inert until the same person has signed in again.
  return <ExpiredDialog user={s.user.username} step={s.step} />;
}

function ExpiredDialog({ user, step }: { user: string; step?: AuthState }) {
  // Escape does nothing: the session needs a sign-in, so the dialog stays.
  const ref = useModal(() => undefined);
  return (
    <dialog ref={ref} class="sign-in dialog" aria-label={t('auth.expiredTitle')}>
      <Step state={step} fixedUser={user} />
    </dialog>
  );
}
