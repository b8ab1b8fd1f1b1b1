/**
 * @module management/arm/compute
 * `Microsoft.Compute/virtualMachines` and the network interface each VM has, as `az vm list -d`, the compute
 * SDK and seed 004's Get-VM-Status function read them: list (subscription or group, `statusOnly=true`), get
 * (`$expand=instanceView`), `instanceView` with the power state (`PowerState/running` → `VM running`), and
 * `start`, `powerOff`, `deallocate`, `restart` (202, done at once; the state is the directory's, also set with
 * `lanyard resource update --power-state`). A VM's NIC is implied: `<vm>-nic` in its group, with a private IP
 * and MAC derived from the VM's id, so they stay the same across restarts; no public IP.
 */
import { createHash } from 'node:crypto';
import type { PowerState } from '../../directory/types.ts';
import type { Router } from '../../http/router.ts';
import { parseScope } from '../rbac/scope.ts';
import type { ArmResource, TenantView } from '../view.ts';
import { resourceNotFound } from './errors.ts';
import type { Answer, ArmContext, Handler } from './handler.ts';
import { type ArmRequest, allowed, authorize, page, requireAnyAccess, subscriptionOf } from './request.ts';
import { identityJson } from './shapes.ts';

export const VM_TYPE = 'Microsoft.Compute/virtualMachines';
const NIC_TYPE = 'Microsoft.Network/networkInterfaces';

const DISPLAY: Readonly<Record<PowerState, string>> = {
  running: 'VM running',
  stopped: 'VM stopped',
  deallocated: 'VM deallocated',
  starting: 'VM starting',
  stopping: 'VM stopping',
  deallocating: 'VM deallocating',
};

const digest = (text: string) => createHash('sha256').update(text.toLowerCase()).digest();

/** A GUID derived from the VM's id: Azure's `vmId` is stable for the VM's life. */
function vmId(r: ArmResource): string {
  const h = digest(`vm:${r.id}`).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function nicId(r: ArmResource): string {
  return `/subscriptions/${r.subscriptionId}/resourceGroups/${r.resourceGroup}/providers/${NIC_TYPE}/${r.name}-nic`;
}

export function instanceViewJson(r: ArmResource, now: Date) {
  const res = r.resource!;
  const state = res.powerState ?? 'running';
  return {
    computerName: res.computerName ?? r.name,
    osName: res.osType === 'Windows' ? 'Windows Server 2022 Datacenter' : 'ubuntu',
    osVersion: res.osType === 'Windows' ? '10.0.20348' : '22.04',
    vmAgent: {
      vmAgentVersion: '2.9.1.1',
      statuses: [
        {
          code: 'ProvisioningState/succeeded',
          level: 'Info',
          displayStatus: 'Ready',
          message: 'Guest Agent is running',
          time: now.toISOString(),
        },
      ],
    },
    disks: [
      {
        name: `${r.name}_OsDisk_1`,
        statuses: [
          { code: 'ProvisioningState/succeeded', level: 'Info', displayStatus: 'Provisioning succeeded' },
        ],
      },
    ],
    hyperVGeneration: 'V2',
    statuses: [
      {
        code: 'ProvisioningState/succeeded',
        level: 'Info',
        displayStatus: 'Provisioning succeeded',
        time: res.updatedAt,
      },
      { code: `PowerState/${state}`, level: 'Info', displayStatus: DISPLAY[state] },
    ],
  };
}

/** A VM as `GET …/virtualMachines/{name}` answers it. */
export function vmJson(r: ArmResource, o: { instanceView?: boolean; now?: Date } = {}) {
  const res = r.resource!;
  const identity = identityJson(r);
  const windows = res.osType === 'Windows';
  return {
    id: r.id,
    name: r.name,
    type: VM_TYPE,
    location: res.location ?? 'eastus',
    tags: {},
    ...(identity ? { identity } : {}),
    properties: {
      vmId: vmId(r),
      hardwareProfile: { vmSize: res.vmSize ?? 'Standard_B1s' },
      storageProfile: {
        imageReference: windows
          ? {
              publisher: 'MicrosoftWindowsServer',
              offer: 'WindowsServer',
              sku: '2022-datacenter',
              version: 'latest',
            }
          : {
              publisher: 'Canonical',
              offer: '0001-com-ubuntu-server-jammy',
              sku: '22_04-lts-gen2',
              version: 'latest',
            },
        osDisk: {
          osType: windows ? 'Windows' : 'Linux',
          name: `${r.name}_OsDisk_1`,
          createOption: 'FromImage',
          caching: 'ReadWrite',
          managedDisk: { storageAccountType: 'Premium_LRS' },
          diskSizeGB: windows ? 127 : 30,
        },
        dataDisks: [],
      },
      osProfile: {
        computerName: res.computerName ?? r.name,
        adminUsername: 'azureuser',
        ...(windows
          ? { windowsConfiguration: { provisionVMAgent: true, enableAutomaticUpdates: true } }
          : { linuxConfiguration: { disablePasswordAuthentication: true, provisionVMAgent: true } }),
        secrets: [],
      },
      networkProfile: { networkInterfaces: [{ id: nicId(r), properties: { primary: true } }] },
      provisioningState: 'Succeeded',
      ...(o.instanceView ? { instanceView: instanceViewJson(r, o.now ?? new Date()) } : {}),
    },
  };
}

/** The VM's implied NIC: a private address in 10.0.0.0/16 and a MAC with Azure's prefix, both from its id. */
function nicJson(r: ArmResource) {
  const h = digest(`nic:${r.id}`);
  const ip = `10.0.${h[0]! % 255}.${4 + (h[1]! % 250)}`;
  const mac = [
    '00',
    '0D',
    '3A',
    ...[h[2]!, h[3]!, h[4]!].map((b) => b.toString(16).padStart(2, '0').toUpperCase()),
  ].join('-');
  const id = nicId(r);
  return {
    id,
    name: `${r.name}-nic`,
    type: NIC_TYPE,
    location: r.resource?.location ?? 'eastus',
    properties: {
      provisioningState: 'Succeeded',
      macAddress: mac,
      primary: true,
      virtualMachine: { id: r.id },
      ipConfigurations: [
        {
          id: `${id}/ipConfigurations/ipconfig1`,
          name: 'ipconfig1',
          properties: {
            privateIPAddress: ip,
            privateIPAllocationMethod: 'Dynamic',
            privateIPAddressVersion: 'IPv4',
            primary: true,
            subnet: {
              id: `/subscriptions/${r.subscriptionId}/resourceGroups/${r.resourceGroup}/providers/Microsoft.Network/virtualNetworks/${r.resourceGroup}-vnet/subnets/default`,
            },
          },
        },
      ],
    },
  };
}

const isVm = (x: ArmResource) => x.resource?.kind === 'vm';

function vmsOf(r: ArmRequest, t: TenantView, sub: string, group?: string): ArmResource[] {
  requireAnyAccess(r, sub, `${VM_TYPE}/read`);
  return t.resources.filter(
    (x) =>
      isVm(x) &&
      x.subscriptionId === sub.toLowerCase() &&
      (group === undefined || x.resourceGroup.toLowerCase() === group.toLowerCase()) &&
      allowed(r, `${VM_TYPE}/read`, x.id),
  );
}

function vmAt(
  r: ArmRequest,
  s: string,
  rg: string,
  name: string,
  action: string,
): { vm: ArmResource; t: TenantView } {
  const t = subscriptionOf(r, s);
  const scope = parseScope(`/subscriptions/${s}/resourceGroups/${rg}/providers/${VM_TYPE}/${name}`);
  authorize(r, action, scope);
  const vm = r.view.resources.get(scope.key);
  if (!vm || !isVm(vm)) throw resourceNotFound(VM_TYPE, name, rg);
  return { vm, t };
}

const POWER_ACTIONS: Readonly<Record<string, { action: string; to: PowerState }>> = {
  start: { action: 'start', to: 'running' },
  poweroff: { action: 'powerOff', to: 'stopped' },
  deallocate: { action: 'deallocate', to: 'deallocated' },
  restart: { action: 'restart', to: 'running' },
};

/** Adds the VM and NIC routes (before the generic resource GET, which they are more specific than). */
export function addComputeRoutes(router: Router<Handler>, c: ArmContext): void {
  const get = (pattern: string, h: Handler) => router.add('GET', pattern, h);
  const expand = (r: ArmRequest) => ({
    instanceView:
      r.http.query.get('statusOnly') === 'true' || /instanceView/i.test(r.http.query.get('$expand') ?? ''),
  });
  get(`/subscriptions/:s/providers/${VM_TYPE}`, async (r, p) => {
    const t = subscriptionOf(r, p.s!);
    return {
      status: 200,
      body: page(
        r,
        vmsOf(r, t, p.s!).map((x) => vmJson(x, expand(r))),
      ),
    };
  });
  get(`/subscriptions/:s/resourcegroups/:rg/providers/${VM_TYPE}`, async (r, p) => {
    const t = subscriptionOf(r, p.s!);
    return {
      status: 200,
      body: page(
        r,
        vmsOf(r, t, p.s!, p.rg!).map((x) => vmJson(x, expand(r))),
      ),
    };
  });
  get(`/subscriptions/:s/resourcegroups/:rg/providers/${VM_TYPE}/:name`, async (r, p) => {
    const { vm } = vmAt(r, p.s!, p.rg!, p.name!, `${VM_TYPE}/read`);
    return { status: 200, body: vmJson(vm, expand(r)) };
  });
  get(`/subscriptions/:s/resourcegroups/:rg/providers/${VM_TYPE}/:name/instanceView`, async (r, p) => {
    const { vm } = vmAt(r, p.s!, p.rg!, p.name!, `${VM_TYPE}/read`);
    return { status: 200, body: instanceViewJson(vm, new Date()) };
  });
  router.add(
    'POST',
    `/subscriptions/:s/resourcegroups/:rg/providers/${VM_TYPE}/:name/:op`,
    async (r, p): Promise<Answer> => {
      const op = POWER_ACTIONS[p.op!.toLowerCase()];
      if (!op) {
        const { vm } = vmAt(r, p.s!, p.rg!, p.name!, `${VM_TYPE}/read`);
        throw resourceNotFound(VM_TYPE, `${vm.name}/${p.op}`, p.rg!);
      }
      const { vm, t } = vmAt(r, p.s!, p.rg!, p.name!, `${VM_TYPE}/${op.action}/action`);
      await c.directory.updateResource(t.tenant.id, vm.name, { powerState: op.to });
      return {
        status: 202,
        headers: {
          'Retry-After': '0',
          Location: `${r.origin}/subscriptions/${p.s}/operationresults/vm-${op.action}?api-version=${encodeURIComponent(r.apiVersion)}`,
        },
      };
    },
  );
  get(`/subscriptions/:s/resourcegroups/:rg/providers/${NIC_TYPE}/:nic`, async (r, p) => {
    const t = subscriptionOf(r, p.s!);
    authorize(
      r,
      `${NIC_TYPE}/read`,
      `/subscriptions/${p.s}/resourceGroups/${p.rg}/providers/${NIC_TYPE}/${p.nic}`,
    );
    const vmName = p.nic!.toLowerCase().endsWith('-nic') ? p.nic!.slice(0, -4) : '';
    const vm = t.resources.find(
      (x) =>
        isVm(x) &&
        x.name.toLowerCase() === vmName.toLowerCase() &&
        x.resourceGroup.toLowerCase() === p.rg!.toLowerCase() &&
        x.subscriptionId === p.s!.toLowerCase(),
    );
    if (!vm) throw resourceNotFound(NIC_TYPE, p.nic!, p.rg!);
    return { status: 200, body: nicJson(vm) };
  });
}
