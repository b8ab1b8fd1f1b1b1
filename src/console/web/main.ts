/**
 * @module console/web/main
 * The console's entry (`/console/app/main.js`, loaded by the shell of console/routes.ts): renders at once, then
 * asks whether a session exists (one request) and shows the sign-in form or the views.
 */
import { App } from './app.ts';
import { checkSession } from './session.ts';
import { html, render } from './vendor.ts';

const root = document.getElementById('app');
if (root) {
  render(html`<${App} />`, root);
  void checkSession();
}
