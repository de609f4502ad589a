/**
 * Routes live in the URL fragment (`#/read/<ref>`): a static host (S3 behind CloudFront, the local
 * room's file server) serves index.html for every route without rewrite rules, and the fragment
 * never reaches a server or its logs.
 */
import { signal } from '@preact/signals-core';
import { CASE_ID } from '../../domain/case';

export type Route =
  | { page: 'home' }
  | { page: 'read'; ref: string }
  | { page: 'adjudications' }
  | { page: 'adjudication'; caseId: string }
  | { page: 'coordinator'; tab: CoordinatorTab }
  | { page: 'notFound' };

export const COORDINATOR_TABS = ['progress', 'assign', 'withdraw', 'export', 'audit'] as const;
export type CoordinatorTab = (typeof COORDINATOR_TABS)[number];

/** An assignment ref: 12 lowercase base32 characters (the store's REF_PATTERN). */
const REF = /^[a-z2-7]{12}$/;

export function parseRoute(hash: string): Route {
  // A query after the route (`#/coordinator/withdraw?ref=…`) is the page's to read.
  const parts = hash.split('?')[0].replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  if (parts.length === 0) return { page: 'home' };
  const [head, arg, ...rest] = parts;
  if (rest.length) return { page: 'notFound' };
  if (head === 'read' && arg && REF.test(arg)) return { page: 'read', ref: arg };
  if (head === 'adjudications' && !arg) return { page: 'adjudications' };
  if (head === 'adjudications' && arg && CASE_ID.test(arg)) return { page: 'adjudication', caseId: arg };
  if (head === 'coordinator') {
    const tab = (arg ?? 'progress') as CoordinatorTab;
    return COORDINATOR_TABS.includes(tab) ? { page: 'coordinator', tab } : { page: 'notFound' };
  }
  return { page: 'notFound' };
}

export function href(route: Route): string {
  switch (route.page) {
    case 'home':
      return '#/';
    case 'read':
      return `#/read/${encodeURIComponent(route.ref)}`;
    case 'adjudications':
      return '#/adjudications';
    case 'adjudication':
      return `#/adjudications/${encodeURIComponent(route.caseId)}`;
    case 'coordinator':
      return route.tab === 'progress' ? '#/coordinator' : `#/coordinator/${route.tab}`;
    case 'notFound':
      return '#/';
  }
}

export const route = signal<Route>({ page: 'home' });

export function startRouter(win: Window = window): void {
  const update = () => {
    route.value = parseRoute(win.location.hash);
  };
  win.addEventListener('hashchange', update);
  update();
}

export function go(to: Route, win: Window = window): void {
  win.location.hash = href(to);
}
