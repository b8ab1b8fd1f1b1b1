/**
 * @module console/web/access-result
 * How an answer of "may X call Y?" (`POST …/access`) is shown: allowed or denied, the chain of reasons in
 * order — each step passed or failed, its code, and the fix — and the claims of the token X would get. The
 * Graph view and the explainer's recent issuances both show it.
 */
import { Status } from './components.ts';
import { formatValue } from './format.ts';
import type { AccessAnswer } from './models.ts';
import { type Html, html } from './vendor.ts';

export function AccessResult({ answer }: { answer: AccessAnswer }): Html {
  return html`<div class="verdict" role="status">
    <p>
      <${Status} value=${answer.allowed ? 'allowed' : 'denied'} />${' '}
      <strong>${answer.principal.displayName}</strong> → <strong>${answer.target.name}</strong>
      ${answer.target.action ? html` (<code>${answer.target.action}</code>)` : null}
    </p>
    <ol class="chain">
      ${answer.chain.map(
        (s) => html`<li class=${s.passed ? 'step-passed' : 'step-failed'}>
          <${Status} value=${s.passed ? 'passed' : 'failed'} /> <strong>${s.title}</strong>
          ${s.code ? html` <code>${s.code}</code>` : null}
          <p>${s.detail}</p>
          ${s.fix ? html`<p class="fix">fix: ${s.fix}</p>` : null}
        </li>`,
      )}
    </ol>
    ${
      answer.token
        ? html`<details class="claims" open>
            <summary>Claims of the token ${answer.principal.displayName} would get for ${answer.token.requestedAs}</summary>
            <${ClaimsTable} claims=${answer.token.claims} />
          </details>`
        : null
    }
  </div>`;
}

export function ClaimsTable({ claims }: { claims: Record<string, unknown> }): Html {
  return html`<table class="claims-table">
    <caption class="visually-hidden">Claims</caption>
    <thead><tr><th scope="col">Claim</th><th scope="col">Value</th></tr></thead>
    <tbody>
      ${Object.entries(claims).map(
        ([k, v]) =>
          html`<tr><th scope="row"><code>${k}</code></th><td><code>${formatValue(v)}</code></td></tr>`,
      )}
    </tbody>
  </table>`;
}
