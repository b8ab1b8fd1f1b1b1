/**
 * @module issuer/federation
 * Workload identity federation: a client presents a token from another OIDC issuer (GitHub Actions, a
 * Kubernetes service-account issuer, another Lanyard) as its `client_assertion`. It is accepted when a
 * federated identity credential of the client names the token's issuer and subject and lists its audience,
 * and the token's signature verifies against that issuer's published keys (discovery → jwks_uri), fetched
 * with bounded time and size and cached.
 */

import fs from 'node:fs';
import { createLocalJWKSet, type JSONWebKeySet, type JWTPayload, jwtVerify } from 'jose';
import type { FederatedMatch } from '../directory/lookups.ts';
import { fetchJson } from '../net/fetch-json.ts';
import { AadstsError } from './aadsts.ts';

interface IssuerKeys {
  jwks: ReturnType<typeof createLocalJWKSet>;
  fetchedAt: number;
}

export interface FederationOptions {
  /** Extra CAs trusted when fetching issuer metadata (the local CA is passed here). */
  ca?: readonly string[] | undefined;
  /** A CA file read at each fetch (Lanyard's local CA, which may be created after start). */
  caFile?: string | undefined;
  cacheMs?: number | undefined;
  /** Minimum time between two refetches of one issuer's keys (unknown-`kid` storms). */
  cooldownMs?: number | undefined;
  now?: (() => Date) | undefined;
}

export class FederationVerifier {
  readonly #cache = new Map<string, IssuerKeys>();
  readonly #inflight = new Map<string, Promise<IssuerKeys>>();
  readonly #o: FederationOptions;

  constructor(options: FederationOptions = {}) {
    this.#o = options;
  }

  async #load(issuer: string): Promise<IssuerKeys> {
    const pending = this.#inflight.get(issuer);
    if (pending) return pending;
    const p = (async () => {
      const ca = [...(this.#o.ca ?? [])];
      if (this.#o.caFile && fs.existsSync(this.#o.caFile)) ca.push(fs.readFileSync(this.#o.caFile, 'utf8'));
      const base = issuer.replace(/\/+$/, '');
      const doc = (await fetchJson(`${base}/.well-known/openid-configuration`, { ca })) as {
        issuer?: unknown;
        jwks_uri?: unknown;
      };
      // OIDC Discovery §4.3: the document must name the issuer it was fetched for.
      if (doc.issuer !== issuer) {
        throw new Error(`its discovery document names issuer ${String(doc.issuer)}, not ${issuer}`);
      }
      if (typeof doc.jwks_uri !== 'string') throw new Error('its discovery document has no jwks_uri');
      const jwks = (await fetchJson(doc.jwks_uri, { ca })) as JSONWebKeySet;
      if (!Array.isArray(jwks?.keys) || jwks.keys.length > 100)
        throw new Error('its JWKS is not a key set of at most 100 keys');
      const entry = { jwks: createLocalJWKSet(jwks), fetchedAt: Date.now() };
      this.#cache.set(issuer, entry);
      return entry;
    })().finally(() => this.#inflight.delete(issuer));
    this.#inflight.set(issuer, p);
    return p;
  }

  /**
   * Verifies `assertion` for a client whose federated credentials are `credentials`. Returns the matched
   * credential; throws AADSTS70021 when none matches and AADSTS700027/700024 when the token itself fails.
   */
  async verify(
    assertion: string,
    payload: JWTPayload,
    credentials: FederatedMatch[],
  ): Promise<FederatedMatch> {
    const iss = typeof payload.iss === 'string' ? payload.iss : '';
    const sub = typeof payload.sub === 'string' ? payload.sub : '';
    const auds =
      typeof payload.aud === 'string' ? [payload.aud] : Array.isArray(payload.aud) ? payload.aud : [];
    const match = credentials.find(
      (c) => c.issuer === iss && c.subject === sub && c.audiences.some((a) => auds.includes(a)),
    );
    if (!match) {
      const near = credentials.filter((c) => c.issuer === iss);
      throw new AadstsError(
        70021,
        `No matching federated identity record found for presented assertion. Assertion Issuer: '${iss}'. Assertion Subject: '${sub}'. Assertion Audience: '${auds.join(',')}'.`,
        near.length > 0
          ? `Lanyard: credentials for this issuer expect subject(s) ${near.map((c) => `'${c.subject}'`).join(', ')} with audience ${near[0]!.audiences.join(',')}.`
          : `Lanyard: add one, e.g. \`lanyard app federated add --app <app> --name <name> --issuer ${iss} --subject '${sub}'\`.`,
      );
    }
    const verifyWith = async (keys: IssuerKeys) =>
      jwtVerify(assertion, keys.jwks, {
        issuer: iss,
        audience: match.audiences,
        subject: sub,
        algorithms: ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384'],
        clockTolerance: 300,
        requiredClaims: ['exp'],
        ...(this.#o.now ? { currentDate: this.#o.now() } : {}),
      });
    let keys: IssuerKeys;
    try {
      const cached = this.#cache.get(iss);
      keys =
        cached && Date.now() - cached.fetchedAt < (this.#o.cacheMs ?? 300_000)
          ? cached
          : await this.#load(iss);
    } catch (err) {
      throw new AadstsError(
        700027,
        `Client assertion failed signature validation: the keys of issuer '${iss}' could not be loaded (${(err as Error).message}).`,
        'Lanyard: the issuer must serve /.well-known/openid-configuration and its jwks_uri over https with a certificate Lanyard trusts.',
      );
    }
    try {
      await verifyWith(keys);
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (
        code === 'ERR_JWKS_NO_MATCHING_KEY' &&
        Date.now() - keys.fetchedAt > (this.#o.cooldownMs ?? 30_000)
      ) {
        try {
          await verifyWith(await this.#load(iss));
          return match;
        } catch (again) {
          throw this.#assertionError(again, iss);
        }
      }
      throw this.#assertionError(err, iss);
    }
    return match;
  }

  #assertionError(err: unknown, iss: string): AadstsError {
    const code = (err as { code?: string }).code;
    if (code === 'ERR_JWT_EXPIRED' || code === 'ERR_JWT_CLAIM_VALIDATION_FAILED') {
      return new AadstsError(
        700024,
        `Client assertion is not within its valid time range or has invalid claims: ${(err as Error).message}.`,
        'Lanyard: federated tokens are short-lived; read the token file again.',
      );
    }
    return new AadstsError(
      700027,
      `Client assertion failed signature validation against the keys of issuer '${iss}' (${code ?? (err as Error).message}).`,
    );
  }
}
