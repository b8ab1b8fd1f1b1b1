/**
 * @module bench/rbac/run
 * What an Azure RBAC decision costs as the number of role assignments grows, in one process, no HTTP: three
 * indexes (`src/management/rbac/evaluator.ts`) of 10, 10,000 and 100,000 assignments spread over a scope tree
 * (subscriptions → resource groups → vaults, every level and the root used, many principals, every built-in
 * role), each holding the same caller with a few assignments on its own path (Reader at its subscription, Key
 * Vault Secrets User at its vault, Contributor at a group it acts through). Each decision is `check()` of the
 * caller's two ids against one of four questions at its vault (three granted, one refused with suggestions),
 * scope ids parsed on every call as a plane would. Prints decisions per second of this thread's CPU time (the
 * median of the rounds, and the best), and each size's ratio to the 10-assignment index: ~1.0 means the cost does
 * not grow with assignments outside the caller's path. Sizes rotate by one each round.
 *
 *   node_modules/.bin/node bench/rbac/run.ts [--decisions 200000] [--rounds 7] [--json]
 */
import { parseArgs } from 'node:util';
import {
  BUILTIN_ROLES,
  CONTRIBUTOR,
  KEY_VAULT_SECRETS_USER,
  READER,
} from '../../src/management/rbac/builtin-roles.ts';
import { RbacIndex, type RoleAssignmentInput } from '../../src/management/rbac/evaluator.ts';
import { medianOf } from '../lib/report.ts';

const { values: args } = parseArgs({
  options: {
    decisions: { type: 'string', default: '200000' },
    rounds: { type: 'string', default: '7' },
    json: { type: 'boolean', default: false },
  },
});
const decisions = Math.min(Math.max(Number(args.decisions), 10_000), 5_000_000);
const rounds = Math.min(Math.max(Number(args.rounds), 1), 31);
const SIZES = [10, 10_000, 100_000];

/** A small deterministic generator (mulberry32), so every run builds the same trees. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const guid = (prefix: number, n: number) =>
  `${prefix.toString(16).padStart(8, '0')}-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;

const CALLER = guid(0xca11e4, 1);
const CALLER_GROUP = guid(0x6e0, 1);
const CALLER_SUB = `/subscriptions/${guid(0x5ab, 0)}`;
const CALLER_RG = `${CALLER_SUB}/resourceGroups/rg-0`;
const CALLER_VAULT = `${CALLER_RG}/providers/Microsoft.KeyVault/vaults/kv-0`;

/** The index: the caller's three assignments, then `size - 3` others over the tree. */
function buildIndex(size: number): { index: RbacIndex; scopes: number; principals: number } {
  const next = random(size);
  const subscriptions = Math.max(1, Math.round(size / 2_000));
  const groupsPerSub = 20;
  const vaultsPerGroup = 5;
  const principals = Math.max(1, Math.round(size / 4));
  const assignments: RoleAssignmentInput[] = [
    { id: guid(0xa, 1), principalId: CALLER, roleDefinitionId: READER.id, scope: CALLER_SUB },
    {
      id: guid(0xa, 2),
      principalId: CALLER,
      roleDefinitionId: KEY_VAULT_SECRETS_USER.id,
      scope: CALLER_VAULT,
    },
    { id: guid(0xa, 3), principalId: CALLER_GROUP, roleDefinitionId: CONTRIBUTOR.id, scope: CALLER_RG },
  ];
  const taken = new Set<string>();
  const scopes = new Set<string>();
  for (let i = 0; assignments.length < size; i++) {
    const sub = `/subscriptions/${guid(0x5ab, Math.floor(next() * subscriptions))}`;
    const rg = `${sub}/resourceGroups/rg-${Math.floor(next() * groupsPerSub)}`;
    const vault = `${rg}/providers/Microsoft.KeyVault/vaults/kv-${Math.floor(next() * vaultsPerGroup)}`;
    const level = next();
    // Mostly resources and groups, as in a real tenant; a few at subscriptions and the root.
    const scope = level < 0.001 ? '/' : level < 0.05 ? sub : level < 0.4 ? rg : vault;
    const principalId = guid(0xbe, Math.floor(next() * principals));
    const role = BUILTIN_ROLES[Math.floor(next() * BUILTIN_ROLES.length)]!;
    const triple = `${principalId} ${role.id} ${scope}`;
    if (taken.has(triple)) continue;
    taken.add(triple);
    scopes.add(scope);
    assignments.push({ id: guid(0xb, i), principalId, roleDefinitionId: role.id, scope });
  }
  return { index: new RbacIndex({ assignments }), scopes: scopes.size, principals };
}

/** The four questions, asked in turn: three granted, one refused (its suggestions come from the cache). */
const QUESTIONS = [
  {
    action: 'Microsoft.KeyVault/vaults/secrets/getSecret/action',
    scope: `${CALLER_VAULT}/secrets/db`,
    data: true,
  },
  { action: 'Microsoft.KeyVault/vaults/read', scope: CALLER_VAULT, data: false },
  { action: 'Microsoft.KeyVault/vaults/write', scope: CALLER_VAULT, data: false },
  { action: 'Microsoft.Authorization/roleAssignments/write', scope: CALLER_VAULT, data: false },
] as const;
const EXPECTED = [true, true, true, false];

function measure(index: RbacIndex): number {
  const ids = [CALLER, CALLER_GROUP];
  for (let q = 0; q < QUESTIONS.length; q++) {
    const { action, scope, data } = QUESTIONS[q]!;
    if (index.check(ids, action, scope, { dataAction: data }).allowed !== EXPECTED[q]) {
      throw new Error(`unexpected decision for ${action}`);
    }
  }
  let allowed = 0;
  const t0 = process.threadCpuUsage();
  for (let i = 0; i < decisions; i++) {
    const { action, scope, data } = QUESTIONS[i & 3]!;
    if (index.check(ids, action, scope, { dataAction: data }).allowed) allowed++;
  }
  const d = process.threadCpuUsage(t0);
  if (allowed !== (decisions * 3) / 4) throw new Error(`allowed ${allowed} of ${decisions}`);
  return decisions / ((d.user + d.system) / 1e6);
}

const built = SIZES.map((size) => {
  const t0 = performance.now();
  const b = buildIndex(size);
  return { size, ...b, buildMs: performance.now() - t0 };
});
for (const b of built) measure(b.index); // warm-up: every index once, so the first round is not the JIT's

const perSize = new Map<number, number[]>(SIZES.map((s) => [s, []]));
for (let r = 0; r < rounds; r++) {
  for (let k = 0; k < built.length; k++) {
    const b = built[(k + r) % built.length]!;
    perSize.get(b.size)!.push(measure(b.index));
  }
}

const rows = built.map((b) => {
  const rates = perSize.get(b.size)!;
  return {
    assignments: b.index.size,
    scopes: b.scopes,
    principals: b.principals,
    buildMs: Math.round(b.buildMs),
    median: Math.round(medianOf(rates)),
    best: Math.round(Math.max(...rates)),
    rounds: rates.map(Math.round),
  };
});
const base = rows[0]!;
const result = {
  decisions,
  rounds,
  node: process.version,
  rows: rows.map((r) => ({
    ...r,
    usPerDecision: Number((1e6 / r.median).toFixed(3)),
    ratioToSmallest: Number((r.median / base.median).toFixed(3)),
  })),
  ratio100kTo10: Number((rows.at(-1)!.median / base.median).toFixed(3)),
};

if (args.json) {
  console.log(JSON.stringify(result, null, 2));
} else {
  const fmt = (n: number) => n.toLocaleString('en-US');
  console.log(`RBAC decisions, ${fmt(decisions)} per round, ${rounds} rounds, Node ${process.version}`);
  console.log('assignments | scopes used | principals | decisions/s (median) | best | µs/decision | ÷ 10');
  for (const r of result.rows) {
    console.log(
      `${fmt(r.assignments).padStart(11)} | ${fmt(r.scopes).padStart(11)} | ${fmt(r.principals).padStart(10)} | ${fmt(r.median).padStart(20)} | ${fmt(r.best).padStart(9)} | ${r.usPerDecision.toFixed(3).padStart(11)} | ${r.ratioToSmallest.toFixed(3)}`,
    );
  }
  console.log(`ratio 100,000 ÷ 10 assignments (median rates): ${result.ratio100kTo10.toFixed(3)}`);
  console.log(
    `every round: ${result.rows.map((r) => `${fmt(r.assignments)}: ${r.rounds.map(fmt).join(', ')}`).join('; ')}`,
  );
}
