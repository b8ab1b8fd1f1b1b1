/**
 * @module console/keys
 * `GET /admin/keys`: what the Keys view shows — the issuer's signing keys (`lanyard keys list`: each key's
 * state and dates, never key material) with the rotation policy and when the next automatic rotation is due,
 * and the master key: its id (derived one-way; safe to show), where it comes from, the retired keys still in the
 * keyring, and how many sealed records are still wrapped under another key (non-zero: a rotation is unfinished;
 * `lanyard vault rotate-master-key` finishes it).
 */
import type { KeyInfo } from '../issuer/signing-keys.ts';
import type { ConsoleDeps } from './deps.ts';

export interface KeysView {
  signing: {
    keys: KeyInfo[];
    /** The kid that signs now. */
    active: string | null;
    policy: { rotationIntervalMs: number; leadTimeMs: number; maxTokenLifetimeMs: number };
    /** When the newest key is old enough to be replaced (the server checks hourly). */
    nextRotationAt: string | null;
  };
  masterKey: {
    id: string;
    /** `env` (LANYARD_MASTER_KEY) or `file` (master.key in the data folder). */
    source: 'env' | 'file';
    /** Ids of the retired keys that still open what was sealed before a rotation. */
    retired: string[];
    /** Per place that keeps sealed records: how many are under another key than the current one. */
    sealed: { name: string; underOtherKeys: number }[];
    rotationUnfinished: boolean;
  };
}

export async function keysView(deps: ConsoleDeps): Promise<KeysView> {
  const keys = await deps.keys.list();
  const newest = keys.reduce<KeyInfo | undefined>(
    (a, k) => (a === undefined || k.createdAt > a.createdAt ? k : a),
    undefined,
  );
  const policy = deps.keys.policy;
  const ring = deps.keyring.get();
  const current = ring.current.id;
  const sealed = [];
  for (const place of deps.sealedRecords) {
    sealed.push({ name: place.name, underOtherKeys: await place.countOther(current) });
  }
  return {
    signing: {
      keys,
      active: keys.filter((k) => k.state === 'active').at(-1)?.kid ?? null,
      policy: {
        rotationIntervalMs: policy.rotationIntervalMs,
        leadTimeMs: policy.leadTimeMs,
        maxTokenLifetimeMs: policy.maxTokenLifetimeMs,
      },
      nextRotationAt: newest
        ? new Date(Date.parse(newest.createdAt) + policy.rotationIntervalMs).toISOString()
        : null,
    },
    masterKey: {
      id: current,
      source: deps.keyring.source,
      retired: (ring.previous ?? []).map((k) => k.id).filter((id) => id !== current),
      sealed,
      rotationUnfinished: sealed.some((s) => s.underOtherKeys > 0),
    },
  };
}
