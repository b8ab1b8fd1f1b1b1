/**
 * @module test/compat/clients/arm-sdk
 * A program using the ARM SDKs for JavaScript (`@azure/arm-resources`, `@azure/arm-authorization`) against
 * Lanyard's Resource Manager (and `@azure/arm-compute` for seed 004's VM listing), written as the docs tell users to: the client's `endpoint` is Lanyard's origin and
 * `credentialScopes` names ARM's audience; the credential is @azure/identity's ClientSecretCredential with
 * Lanyard as its authority. Lists resource groups (paging through every nextLink), creates one, lists the
 * subscription's resources, and creates, lists and deletes a role assignment. COMPAT_STEP picks one part.
 */
import { AuthorizationManagementClient } from '@azure/arm-authorization';
import { ComputeManagementClient } from '@azure/arm-compute';
import { ResourceManagementClient } from '@azure/arm-resources';
import { ClientSecretCredential } from '@azure/identity';
import { report } from './report.mjs';

const env = process.env;
await report(async () => {
  const credential = new ClientSecretCredential(env.COMPAT_TENANT, env.COMPAT_CLIENT_ID, env.COMPAT_SECRET, {
    authorityHost: env.COMPAT_AUTHORITY_HOST,
    disableInstanceDiscovery: true,
  });
  const options = { endpoint: env.COMPAT_ARM, credentialScopes: ['https://management.azure.com/.default'] };
  const sub = env.COMPAT_SUBSCRIPTION;
  const resources = new ResourceManagementClient(credential, sub, options);
  const out = {};
  if (env.COMPAT_STEP === 'resources') {
    out.groups = [];
    for await (const g of resources.resourceGroups.list()) out.groups.push(g.name);
    const made = await resources.resourceGroups.createOrUpdate('sdk-rg', {
      location: 'northeurope',
      tags: { by: 'sdk' },
    });
    out.made = { id: made.id, location: made.location, tags: made.tags };
    out.resources = [];
    for await (const r of resources.resources.list())
      out.resources.push({ name: r.name, type: r.type, identity: r.identity });
    await resources.resourceGroups.beginDeleteAndWait('sdk-rg', { updateIntervalInMs: 10 });
    out.existsAfterDelete = (await resources.resourceGroups.checkExistence('sdk-rg')).body;
  }
  if (env.COMPAT_STEP === 'authorization') {
    const authz = new AuthorizationManagementClient(credential, sub, options);
    const scope = env.COMPAT_SCOPE;
    const defs = [];
    for await (const d of authz.roleDefinitions.list(scope, {
      filter: "roleName eq 'Key Vault Secrets User'",
    }))
      defs.push(d);
    const made = await authz.roleAssignments.create(scope, env.COMPAT_ASSIGNMENT, {
      roleDefinitionId: defs[0].id,
      principalId: env.COMPAT_PRINCIPAL,
      principalType: 'ServicePrincipal',
    });
    const listed = [];
    for await (const a of authz.roleAssignments.listForScope(scope, { filter: 'atScope()' }))
      listed.push(a.name);
    const removed = await authz.roleAssignments.delete(scope, env.COMPAT_ASSIGNMENT);
    out.definition = defs[0].roleName;
    out.made = { name: made.name, scope: made.scope, principalId: made.principalId };
    out.listed = listed;
    out.removed = removed?.name;
  }
  if (env.COMPAT_STEP === 'compute') {
    // Seed 004's Get-VM-Status: every VM of the subscription with its power state.
    const compute = new ComputeManagementClient(credential, sub, options);
    out.vms = [];
    for await (const vm of compute.virtualMachines.listAll()) {
      const group = vm.id.split('/')[4];
      const view = await compute.virtualMachines.instanceView(group, vm.name);
      const power = view.statuses.find((s) => s.code.startsWith('PowerState/'));
      out.vms.push({ name: vm.name, group, size: vm.hardwareProfile.vmSize, power: power?.displayStatus });
    }
    await compute.virtualMachines.beginStartAndWait(out.vms[0].group, out.vms[0].name, {
      updateIntervalInMs: 10,
    });
    const after = await compute.virtualMachines.get(out.vms[0].group, out.vms[0].name, {
      expand: 'instanceView',
    });
    out.afterStart = after.instanceView.statuses.find((s) => s.code.startsWith('PowerState/'))?.displayStatus;
  }
  return out;
});
