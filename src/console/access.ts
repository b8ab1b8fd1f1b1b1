/**
 * @module console/access
 * `POST /admin/tenants/:tenant/access`: "may X call Y?", with the chain of reasons, decided by the evaluators
 * that decide it for real — nothing here judges on its own:
 * - a token: the issuer's own `resolve-resource` and `issue-token` steps (TokenService.preview: is the app
 *   known, does it require an assignment, which roles does X hold), so the refusal is the AADSTS error a token
 *   request would get (501051 with the `lanyard role assign` that fixes it);
 * - an Easy Auth front: the token previewed above goes through `lanyard explain`'s evaluator
 *   (easyauth/explain.ts: the front's own policy and validator), in this process; it is never answered or kept;
 * - Azure RBAC: `lanyard rbac check`'s evaluator (management/service.ts `checkAccess`), with the least
 *   privileged role that would allow it.
 *
 * The target says which: an app registration (`app:<name>`, a name, appId or identifier URI) → a token for it
 * and every Easy Auth front that takes its tokens; `resource:<name>` of an app with Easy Auth → a token for its
 * front's audience and that front; with `action` (or `resource:<vault>`, whose default action is reading a
 * secret) → a token for Resource Manager or Key Vault and the RBAC check at that scope.
 */
import type { ClientPrincipal } from '../directory/lookups.ts';
import type { Application, ServicePrincipal, Tenant } from '../directory/types.ts';
import { type ExplainVerdict, explainToken } from '../easyauth/explain.ts';
import { listEasyAuthConfigs, type StoredEasyAuth } from '../easyauth/store.ts';
import { LanyardError } from '../errors/lanyard-error.ts';
import { AadstsError } from '../issuer/aadsts.ts';
import { checkAccess, describeDecision } from '../management/service.ts';
import { DATA_ACTIONS } from '../vault/api/operations.ts';
import type { ConsoleDeps } from './deps.ts';

export interface AccessInput {
  /** `app:<name>`, `identity:<name>`, `resource:<name>` (its system identity) or a service principal object id. */
  principal: string;
  /** An app (`app:<name>`, name, appId, identifier URI), `resource:<name>`, or with `action` a scope. */
  target: string;
  /** An Azure RBAC operation, e.g. `Microsoft.Compute/virtualMachines/read`. */
  action?: string | undefined;
  dataAction?: boolean | undefined;
}

export interface AccessStep {
  /** `token` (the issuer), `easyauth` (a front), `rbac` (Azure RBAC). */
  check: 'token' | 'easyauth' | 'rbac';
  passed: boolean;
  /** What was asked, e.g. `token for api://get-creds`, `Easy Auth front get-creds`. */
  title: string;
  /** Why it passed or failed, in the words the real answer uses. */
  detail: string;
  /** What would make it pass: a command or a setting. */
  fix?: string | undefined;
  /** The refusal's stable code: `AADSTS501051`, a validator reason, `denied`. */
  code?: string | undefined;
}

export interface AccessAnswer {
  principal: {
    ref: string;
    principalId: string;
    displayName: string;
    type: ServicePrincipal['servicePrincipalType'];
    clientId: string;
  };
  target: {
    kind: 'app' | 'front' | 'scope';
    ref: string;
    name: string;
    action?: string;
    dataAction?: boolean;
  };
  allowed: boolean;
  chain: AccessStep[];
  /** The token a request would get: what it was asked for, the roles in it and its claims (never the token). */
  token?: { requestedAs: string; roles: string[]; claims: Record<string, unknown> } | undefined;
  /** Easy Auth's verdicts, as `lanyard explain -o json` has them. */
  fronts?: ExplainVerdict[] | undefined;
  /** `lanyard rbac check -o json`'s answer. */
  rbac?: Awaited<ReturnType<typeof checkAccess>> | undefined;
}

const ARM_AUDIENCE = 'https://management.azure.com/';
const VAULT_AUDIENCE = 'https://vault.azure.net';

/** The principal as the issuer sees a client (`findClient`, by its appId or client id). */
async function clientOf(deps: ConsoleDeps, tenant: Tenant, sp: ServicePrincipal): Promise<ClientPrincipal> {
  const client = await deps.tokens.lookups.findClient(tenant.id, sp.appId);
  if (!client) {
    throw new LanyardError('ERR_VALIDATION', `${sp.displayName} cannot ask for tokens.`, {
      hint: "It is a first-party service principal: Microsoft's own apps hold no credentials here.",
    });
  }
  return client;
}

/** The issuer's answer to X asking a token for `requestedAs`, as a step. */
async function tokenStep(
  deps: ConsoleDeps,
  tenant: Tenant,
  client: ClientPrincipal,
  requestedAs: string,
): Promise<{ step: AccessStep; token?: string; facts?: AccessAnswer['token'] }> {
  const title = `token for ${requestedAs}`;
  try {
    const issued = await deps.tokens.preview({
      tenant,
      client,
      requestedAs,
      // Entra marks managed-identity tokens as certificate strength, an app's secret as 1.
      acr: client.kind === 'identity' ? '2' : '1',
      via: 'console-access',
    });
    const roles = issued.roles;
    return {
      step: {
        check: 'token',
        passed: true,
        title,
        detail: `The issuer gives ${client.displayName} a token for ${requestedAs}${roles.length > 0 ? ` with roles ${roles.join(', ')}` : ' (no roles)'}.`,
      },
      token: issued.accessToken,
      facts: { requestedAs, roles, claims: { ...issued.claims } },
    };
  } catch (err) {
    if (!(err instanceof AadstsError)) throw err;
    return {
      step: {
        check: 'token',
        passed: false,
        title,
        detail: `AADSTS${err.code}: ${err.message}`,
        code: `AADSTS${err.code}`,
        ...(err.hint ? { fix: err.hint.replace(/^Lanyard: /, '') } : {}),
      },
    };
  }
}

function frontStep(v: ExplainVerdict): AccessStep {
  return {
    check: 'easyauth',
    passed: v.accepted,
    title: `Easy Auth front ${v.resource}`,
    detail: v.accepted
      ? `${v.resource}'s front lets the token in and forwards the request to ${v.upstream}.`
      : `${v.resource}'s front answers ${v.status}: ${v.message ?? v.reason}`,
    ...(v.reason ? { code: v.reason } : {}),
    ...(v.hint ? { fix: v.hint } : {}),
  };
}

const lower = (s: string) => s.toLowerCase().replace(/\/+$/, '');

/** The fronts that take tokens for `app`: its appId as the registration, or one of its ids as an allowed audience. */
function frontsFor(configs: readonly StoredEasyAuth[], app: Application): StoredEasyAuth[] {
  const ids = new Set([app.appId, ...app.identifierUris].map(lower));
  return configs.filter((c) => {
    const aad = c.config.identityProviders.azureActiveDirectory;
    return (
      ids.has(lower(aad.registration.clientId)) ||
      aad.validation.allowedAudiences.some((a) => ids.has(lower(a)))
    );
  });
}

async function explainFronts(
  deps: ConsoleDeps,
  tenant: Tenant,
  token: string,
  fronts: readonly StoredEasyAuth[],
): Promise<ExplainVerdict[]> {
  const verdicts: ExplainVerdict[] = [];
  for (const f of fronts) {
    const e = await explainToken(deps, token, { resource: f.resourceName, tenant: tenant.id });
    verdicts.push(...e.verdicts);
  }
  return verdicts;
}

export async function mayCall(
  deps: ConsoleDeps,
  tenantRef: string,
  input: AccessInput,
): Promise<AccessAnswer> {
  const { directory } = deps;
  const tenant = await directory.getTenant(tenantRef);
  const sp = await directory.findPrincipal(tenant.id, input.principal);
  const client = await clientOf(deps, tenant, sp);
  const principal: AccessAnswer['principal'] = {
    ref: client.ref,
    principalId: sp.objectId,
    displayName: sp.displayName,
    type: sp.servicePrincipalType,
    clientId: sp.appId,
  };
  const target = input.target.trim();
  if (target === '') throw new LanyardError('ERR_VALIDATION', 'The body needs `target`.');

  let action = input.action;
  let dataAction = input.dataAction === true;
  if (action === undefined && target.startsWith('resource:')) {
    const resource = await directory.getResource(tenant.id, target.slice('resource:'.length));
    const configs = await listEasyAuthConfigs(directory.db, { tenantId: tenant.id });
    const front = configs.find((c) => c.resourceId === resource.id);
    if (front) {
      // The front's question: a token for the audience it takes (its registration), then the front itself.
      const clientId = front.config.identityProviders.azureActiveDirectory.registration.clientId;
      const t = await tokenStep(deps, tenant, client, clientId);
      const fronts = t.token ? await explainFronts(deps, tenant, t.token, [front]) : [];
      const chain = [t.step, ...fronts.map(frontStep)];
      return {
        principal,
        target: { kind: 'front', ref: target, name: resource.name },
        allowed: chain.every((s) => s.passed) && fronts.length > 0,
        chain,
        token: t.facts,
        fronts,
      };
    }
    if (resource.kind !== 'vault') {
      throw new LanyardError(
        'ERR_VALIDATION',
        `Resource "${resource.name}" (kind ${resource.kind}) has no Easy Auth front; ask about an action on it.`,
        { hint: 'Give `action` (an Azure RBAC operation such as Microsoft.Compute/virtualMachines/read).' },
      );
    }
    action = DATA_ACTIONS.get;
    dataAction = true;
  }

  if (action !== undefined) {
    // Azure RBAC: a token for the service that checks it (Key Vault for its data actions), then the check.
    const audience =
      dataAction && action.toLowerCase().startsWith('microsoft.keyvault/') ? VAULT_AUDIENCE : ARM_AUDIENCE;
    const t = await tokenStep(deps, tenant, client, audience);
    const rbac = await checkAccess(directory, tenant.id, {
      principal: input.principal,
      action,
      scope: target,
      dataAction,
    });
    const described = describeDecision(rbac, { principal: input.principal, action, scope: target });
    const step: AccessStep = {
      check: 'rbac',
      passed: rbac.decision.allowed,
      title: `${action} at ${target}`,
      detail: described.text,
      ...(rbac.decision.allowed ? {} : { code: 'denied' }),
      ...(described.fix ? { fix: described.fix } : {}),
    };
    const chain = [t.step, step];
    return {
      principal,
      target: { kind: 'scope', ref: target, name: target, action, dataAction },
      allowed: chain.every((s) => s.passed),
      chain,
      token: t.facts,
      rbac,
    };
  }

  // An app registration: a token for it, then each front that takes its tokens.
  const ref = target.startsWith('app:') ? target.slice('app:'.length) : target;
  const app = await directory.getApp(tenant.id, ref);
  const requestedAs = app.identifierUris[0] ?? app.appId;
  const t = await tokenStep(deps, tenant, client, requestedAs);
  const configs = frontsFor(await listEasyAuthConfigs(directory.db, { tenantId: tenant.id }), app);
  // Each front is asked with a token for the audience it takes: the registration's appId when it is this app.
  const fronts: ExplainVerdict[] = [];
  const chain: AccessStep[] = [t.step];
  if (t.token) {
    for (const f of configs) {
      const clientId = f.config.identityProviders.azureActiveDirectory.registration.clientId;
      let token = t.token;
      if (lower(clientId) === lower(app.appId) && requestedAs !== app.appId) {
        const forFront = await tokenStep(deps, tenant, client, app.appId);
        if (!forFront.token) continue;
        token = forFront.token;
      }
      fronts.push(...(await explainFronts(deps, tenant, token, [f])));
    }
    chain.push(...fronts.map(frontStep));
  }
  return {
    principal,
    target: { kind: 'app', ref: target, name: app.name },
    allowed: t.step.passed && (fronts.length === 0 || fronts.some((v) => v.accepted)),
    chain,
    token: t.facts,
    fronts,
  };
}
