/**
 * @module console/web/tenants
 * The tenants and the one the views show (the picker in the header). The choice is remembered in this
 * browser's localStorage by name — a name, never a token or secret.
 */
import { get } from './api.ts';
import type { Tenant } from './models.ts';
import { createStore } from './store.ts';

export interface TenantState {
  list: Tenant[];
  /** The chosen tenant's name; undefined while none exists or none is loaded. */
  current: string | undefined;
  loaded: boolean;
}

const KEY = 'lanyard.console.tenant';

export const tenants = createStore<TenantState>({ list: [], current: undefined, loaded: false });

function remembered(): string | undefined {
  try {
    return localStorage.getItem(KEY) ?? undefined;
  } catch {
    return undefined;
  }
}

export function chooseTenant(name: string): void {
  tenants.set((s) => ({ ...s, current: name }));
  try {
    localStorage.setItem(KEY, name);
  } catch {
    // storage may be off (private windows): the choice lasts for this page only
  }
}

/** Reads the list again (after a tenant is created or deleted) and keeps the choice when it still exists. */
export async function loadTenants(): Promise<void> {
  const list = await get<Tenant[]>('/admin/tenants');
  const want = tenants.get().current ?? remembered();
  const current = list.find((t) => t.name === want)?.name ?? list[0]?.name;
  tenants.set({ list, current, loaded: true });
}

/** The current tenant's name, for paths; throws when there is none (views check `current` first). */
export function currentTenant(): string {
  const t = tenants.get().current;
  if (t === undefined) throw new Error('No tenant is chosen.');
  return t;
}
