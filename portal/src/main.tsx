/**
 * Start: the language (the person's earlier choice, else the browser's), config.json, the
 * Cognito client and the API client, then the page; a refresh token kept by this tab signs in again.
 */
import '@preact/signals';
import { render } from 'preact';
import { CognitoClient } from '../auth/cognito';
import { ReadRoomApi } from './api/client';
import { App, ConfigProblem, LANG_KEY, setLanguage, type Services } from './app';
import { loadConfig } from './config';
import { createShim, loadAppStreamScript } from './embed/appstream';
import { embedProvider } from './embed/streaming';
import { pickLang } from './i18n';
import { startRouter } from './router';
import { AuthSession } from './session';

interface AdvancedSecurity {
  getData(username: string, userPoolId: string, clientId: string): string | undefined;
}

function loadScript(path: string): Promise<void> {
  return new Promise((resolve) => {
    const s = document.createElement('script');
    s.src = path;
    s.onload = () => resolve();
    s.onerror = () => resolve();
    document.head.appendChild(s);
  });
}

async function main(): Promise<void> {
  const root = document.getElementById('app')!;
  const storage = window.localStorage;
  let chosen: string | null = null;
  try {
    chosen = storage.getItem(LANG_KEY);
  } catch {
    chosen = null;
  }
  setLanguage(pickLang(chosen, navigator.languages ?? [navigator.language]));

  let config;
  try {
    config = await loadConfig();
  } catch (e) {
    render(<ConfigProblem detail={(e as Error).message} />, root);
    return;
  }
  // Cognito's advanced-security script, when the operator provides it: UserContextData lets
  // threat protection see the device. Without it the calls simply carry none.
  if (config.advancedSecurityScriptPath) await loadScript(config.advancedSecurityScriptPath);
  const security = () => (window as unknown as { AmazonCognitoAdvancedSecurityData?: AdvancedSecurity }).AmazonCognitoAdvancedSecurityData;
  const cognito = new CognitoClient({
    region: config.region,
    userPoolId: config.userPoolId,
    clientId: config.clientId,
    endpoint: config.cognitoEndpoint,
    userContextData: (username) => security()?.getData(username, config.userPoolId, config.clientId),
  });
  const session = new AuthSession(cognito, window.sessionStorage);
  const api = new ReadRoomApi({ baseUrl: config.apiUrl, tokens: session });
  const embeds = embedProvider(config, (path) => loadAppStreamScript(path), () => createShim());
  const services: Services = { config, session, api, embeds, storage };
  startRouter();
  render(<App services={services} />, root);
  await session.restore();
}

void main();
