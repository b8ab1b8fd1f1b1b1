/**
 * @module console/web/vendor
 * The three libraries the console uses, as the server serves them (`/console/vendor/*.js`, ES modules copied
 * from the installed packages), typed from those packages. Every other module imports them from here: the URLs
 * are not module names TypeScript can resolve (a rooted path cannot be declared as an ambient module), so each
 * import below is the one place that says what it is. cytoscape is loaded on demand, by the graph view only.
 */
import type * as Cytoscape from 'cytoscape';
import type * as Preact from 'preact';
import type * as PreactHooks from 'preact/hooks';
// @ts-expect-error -- a URL the server serves: htm's ES module
import htmModule from '/console/vendor/htm.js';
// @ts-expect-error -- a URL the server serves: preact's ES module
import * as preactModule from '/console/vendor/preact.js';
// @ts-expect-error -- a URL the server serves: preact/hooks' ES module
import * as hooksModule from '/console/vendor/preact-hooks.js';

/** htm's declaration file reads as CommonJS here, so its default export is named by its property. */
type HtmFactory = typeof import('htm')['default'];

const preact = preactModule as typeof Preact;
const hooks = hooksModule as typeof PreactHooks;

export const { h, render, Fragment, createContext } = preact;
export const { useState, useEffect, useRef, useMemo, useCallback, useContext, useId, useReducer } = hooks;
export type { ComponentChildren, VNode } from 'preact';

/** Tagged templates that build Preact elements: `html\`<p class="x">${text}</p>\``. */
export const html = (htmModule as HtmFactory).bind(h);
/** What a component returns. */
export type Html = ReturnType<typeof html>;

export type CytoscapeCore = Cytoscape.Core;
export type CytoscapeFactory = typeof Cytoscape.default;
export type ElementDefinition = Cytoscape.ElementDefinition;

/**
 * cytoscape's renderer adds a `<style>` to the page (`.__________cytoscape_container { position: relative }`)
 * unless an element with this id exists; the Content-Security-Policy refuses inline styles. The shell links
 * `/console/vendor/cytoscape.css` under that id; should it not, a placeholder takes the id (console.css gives
 * the graph's container its position).
 */
const CYTOSCAPE_STYLESHEET_ID = '__________cytoscape_stylesheet';

/** cytoscape, fetched the first time the graph view opens (about 400 KB that no other view needs). */
export async function loadCytoscape(): Promise<CytoscapeFactory> {
  if (!document.getElementById(CYTOSCAPE_STYLESHEET_ID)) {
    const placeholder = document.createElement('meta');
    placeholder.id = CYTOSCAPE_STYLESHEET_ID;
    document.head.append(placeholder);
  }
  // @ts-expect-error -- a URL the server serves: cytoscape's ES module
  const m = (await import('/console/vendor/cytoscape.js')) as { default: CytoscapeFactory };
  return m.default;
}
