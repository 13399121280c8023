/**
 * The spec a netns lab writes (`D/colo.yaml`), as data (pure): both hosts over SSH at their
 * management addresses (keys pinned), the replication address on each host's replication link, each
 * host's `fence.command` (`colo lab kill-host NAME --dir D`: powers it off the way IPMI would), and
 * the VMs: the tiny guest with one virtio NIC on a tap that QEMU's ifup script joins to the host's
 * LAN bridge (vhost off, as COLO needs), the same MAC and static LAN address on both sides (it is one
 * VM), and a disk each. No host forwards: clients reach the guest at its LAN address.
 */
import { deriveMac } from '../../spec/index.ts';
import { guestKernelCmdline } from '../guest-cmdline.ts';
import { LAB_HOST_NAMES, type LabHostName } from './names.ts';
import type { Topology } from './topology.ts';

export interface NetnsSpecHost {
  name: LabHostName;
  address: string;
  port: number;
  hostKey: string;
  workDir: string;
}

export interface NetnsSpecInput {
  t: Topology;
  hosts: NetnsSpecHost[];
  user: string;
  identityFile: string;
  qemu: { binary: string; firmware: readonly string[] };
  guest: { kernel: string; initrd: string; cmdline: string };
  /** Per VM (web, web2, ...): its disk image. */
  images: string[];
  /** The ifup script QEMU runs for each new tap (written by the lab; it joins the tap to the LAN bridge). */
  tapScript: string;
  fenceCommand: (host: LabHostName) => string[];
  memoryMiB?: number;
  checkpointMs?: number;
}

export interface NetnsLabGuest {
  vm: string;
  /** The first NIC's LAN address (every VM of the lab has one NIC). */
  lanAddress: string;
  nics: { id: string; mac: string; lanAddress: string }[];
}

export const LAB_NIC_ID = 'net0';

/** The VM names of a lab with `count` VMs: web, web2, web3, ... */
export function labVmNames(count: number): string[] {
  return Array.from({ length: count }, (_, i) => (i === 0 ? 'web' : `web${i + 1}`));
}

/** The guests of the lab: per VM its NIC's MAC (pinned in the spec) and LAN address. */
export function netnsLabGuests(t: Topology, count: number): NetnsLabGuest[] {
  return labVmNames(count).map((vm, i) => {
    const lanAddress = t.addresses.lan.guests[i];
    if (lanAddress === undefined) throw new Error(`no LAN address planned for VM ${vm} (${count} VMs)`);
    return { vm, lanAddress, nics: [{ id: LAB_NIC_ID, mac: deriveMac(vm, LAB_NIC_ID), lanAddress }] };
  });
}

function specHosts(s: NetnsSpecInput): Record<string, unknown> {
  const hosts: Record<string, unknown> = {};
  for (const h of s.hosts)
    hosts[h.name] = {
      ssh: { address: h.address, port: h.port, user: s.user, identityFile: s.identityFile, hostKey: h.hostKey },
      replicationAddress: s.t.addresses.repl.hosts[h.name],
      qemu: { binary: s.qemu.binary, firmware: [...s.qemu.firmware] },
      workDir: h.workDir,
      fence: { command: s.fenceCommand(h.name), timeout: '30s' },
    };
  return hosts;
}

function specVms(s: NetnsSpecInput): Record<string, unknown> {
  const prefix = s.t.addresses.lan.subnet.split('/')[1] ?? '24';
  const vms: Record<string, unknown> = {};
  for (const [i, g] of netnsLabGuests(s.t, s.images.length).entries())
    vms[g.vm] = {
      primary: LAB_HOST_NAMES[0],
      secondary: LAB_HOST_NAMES[1],
      boot: {
        kernel: s.guest.kernel,
        initrd: s.guest.initrd,
        append: guestKernelCmdline(s.guest.cmdline, { addresses: g.nics.map((n) => `${n.lanAddress}/${prefix}`) }),
      },
      disks: [{ id: 'disk0', image: s.images[i], format: 'qcow2', interface: 'virtio' }],
      netdevs: g.nics.map((n) => ({
        id: n.id,
        backend: 'tap',
        script: s.tapScript,
        model: 'virtio-net-pci',
        mac: n.mac,
      })),
    };
  return vms;
}

/** The spec document (apiVersion colo/v1) of the lab. */
export function netnsLabSpec(s: NetnsSpecInput): Record<string, unknown> {
  return {
    apiVersion: 'colo/v1',
    hosts: specHosts(s),
    defaults: {
      machine: { type: 'pc', accel: 'tcg', cpu: 'qemu64', memory: `${s.memoryMiB ?? 128}M`, smp: 1 },
      checkpoint: { interval: `${s.checkpointMs ?? 2000}ms` },
      // Each host has a namespace of its own: its ports clash with nothing on this machine.
      ports: { base: 9000 },
    },
    vms: specVms(s),
  };
}

/**
 * The ifup script QEMU runs (as `script ifname`) inside the host's namespace for a new tap: the tap
 * joins the host's LAN bridge, which has the same name in every host namespace of the lab. No value
 * of a spec in it: the bridge name is the lab's own (`c<suffix>-hbr`).
 */
export function tapUpScript(bridge: string): string {
  if (!/^c[0-9a-f]{6}-hbr$/.test(bridge)) throw new Error(`not a lab bridge name: ${bridge}`);
  return [
    '#!/bin/sh',
    '# Written by "colo lab up --network netns": QEMU runs it with the name of a new tap; the tap',
    "# joins this host's LAN bridge (vhost stays off: colo renders vhost=off).",
    'PATH=/usr/sbin:/usr/bin:/sbin:/bin',
    'set -e',
    `ip link set dev "$1" master ${bridge}`,
    'ip link set dev "$1" up',
    '',
  ].join('\n');
}
