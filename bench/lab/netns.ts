/**
 * A multicast test lab made of network namespaces.
 *
 * Topology for a lab named `x` with N receivers:
 *
 *   x-s  (sender)    x-s  ──veth──  x-hs ┐
 *   x-r0 (receiver)  x-r0 ──veth──  x-h0 ├─ x-br (bridge, IGMP snooping off)   in ns x-hub
 *   ...                                  │
 *   x-a  (attacker, optional) ──veth──  x-ha ┘
 *
 * Namespaces and links are both named after the lab (the leaf end of each veth has the
 * same name as its namespace), so a lab never collides with another lab or with the host,
 * and `cleanupStale(name)` can find everything a crashed run left behind. No namespace has
 * a default route: only the lab's /16 and the multicast range are reachable, so no traffic
 * can leave the lab.
 *
 * Needs root, iproute2, and, when the options ask for them, ethtool (sender GSO split) and
 * nftables (loss). Uses only node: builtins.
 */
import { execFileSync, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';

export interface LabOptions {
  /** Short unique prefix (1–6 letters/digits, starting with a letter) used in every netns and link name. */
  name: string;
  /** Number of receiver namespaces, 1–999. */
  receivers: number;
  /** MTU of every veth and of the bridge. Default 1500. */
  mtu?: number;
  /**
   * Random ingress loss in every receiver namespace, in percent (0.01 resolution), applied
   * by nftables to UDP datagrams whose destination port is in `lossPorts`.
   */
  lossPercent?: number;
  /** UDP destination ports that `lossPercent` applies to; required when lossPercent > 0. */
  lossPorts?: number[];
  /** Token-bucket rate limit (tc tbf) on the sender's veth egress, in Mbit/s. */
  rateMbit?: number;
  /**
   * Default true: turn off tx-udp-segmentation on the sender's veth so UDP GSO batches are
   * cut into MTU-sized frames at the sender, as a real NIC would. With it off, 64 KB GSO
   * skbs cross the bridge whole, which no real network does.
   */
  senderGsoSplit?: boolean;
  /**
   * Turn GRO on at each receiver's veth, as physical NICs have it by default
   * (veth defaults to off): frames of one flow are coalesced, and a socket
   * with UDP_GRO receives them as one super-packet. Default false.
   */
  receiverGro?: boolean;
  /** Adds a host x-a (address .0.2) that the security lab uses as the attacker. */
  attacker?: boolean;
  /**
   * The bridge forgets every MAC at once (ageing_time 0), so it floods unicast frames
   * to every port, as a hub or a mirrored switch port would: the attacker sees the
   * receivers' reports and the sender's ACKs.
   */
  flood?: boolean;
  /** Picks the lab's private /16: 10.(200+subnet).0.0/16, subnet 0–55. Default 0. */
  subnet?: number;
}

/**
 * Global (not per-namespace) sysctls the lab raises, never lowers. netdev_max_backlog: the
 * bridge floods every frame to all N receivers' veths on the sending CPU, and each copy
 * waits in that CPU's backlog queue; at the default 1000, a 44-datagram GSO batch to 128
 * receivers overflows it and most datagrams vanish before reaching any socket, a loss no
 * real network of N hosts would have.
 */
const SYSCTL_FLOORS: Record<string, number> = {
  'net/core/rmem_max': 128 * 1024 * 1024,
  'net/core/wmem_max': 128 * 1024 * 1024,
  'net/core/netdev_max_backlog': 65536,
};
/** nftables table that holds a receiver's loss rule. */
const LOSS_TABLE = 'blockcast_loss';

const live = new Set<Lab>();
let exitHooksInstalled = false;

export class Lab {
  readonly name: string;
  readonly mtu: number;
  readonly hubNs: string;
  readonly senderNs: string;
  readonly receiverNs: string[];
  readonly senderAddr: string;
  readonly receiverAddrs: string[];
  readonly bridge: string;
  /** The attacker's namespace and address, when the lab has one. */
  readonly attackerNs: string | undefined;
  readonly attackerAddr: string | undefined;

  private readonly ifaces = new Map<string, string>();
  private readonly children = new Set<ChildProcess>();
  private destroyed = false;

  private constructor(opts: LabOptions) {
    const { name, receivers } = opts;
    const subnet = opts.subnet ?? 0;
    if (!/^[a-z][a-z0-9]{0,5}$/i.test(name)) {
      throw new Error(`lab name must be 1-6 letters/digits starting with a letter: ${JSON.stringify(name)}`);
    }
    if (!Number.isInteger(receivers) || receivers < 1 || receivers > 999) {
      throw new Error(`receivers must be an integer in 1..999: ${receivers}`);
    }
    if (!Number.isInteger(subnet) || subnet < 0 || subnet > 55) {
      throw new Error(`subnet must be an integer in 0..55: ${subnet}`);
    }
    this.name = name;
    this.mtu = opts.mtu ?? 1500;
    if (!Number.isInteger(this.mtu) || this.mtu < 576 || this.mtu > 65535) {
      throw new Error(`mtu must be an integer in 576..65535: ${this.mtu}`);
    }
    const net = `10.${200 + subnet}`;
    this.hubNs = `${name}-hub`;
    this.bridge = `${name}-br`;
    this.senderNs = `${name}-s`;
    this.senderAddr = `${net}.0.1`;
    this.receiverNs = [];
    this.receiverAddrs = [];
    for (let i = 0; i < receivers; i++) {
      this.receiverNs.push(`${name}-r${i}`);
      this.receiverAddrs.push(`${net}.${1 + Math.floor(i / 250)}.${1 + (i % 250)}`);
    }
    this.attackerNs = opts.attacker ? `${name}-a` : undefined;
    this.attackerAddr = opts.attacker ? `${net}.0.2` : undefined;
    this.ifaces.set(this.hubNs, this.bridge);
    // The leaf end of each veth is named after its namespace (≤ 6 + 4 = 10 characters).
    for (const ns of this.leaves()) this.ifaces.set(ns, ns);
  }

  /** Builds the lab. On failure, removes whatever was built and rethrows. */
  static create(opts: LabOptions): Lab {
    const lab = new Lab(opts);
    if ((opts.lossPercent ?? 0) > 0 && !opts.lossPorts?.length) {
      throw new Error('lossPercent needs lossPorts');
    }
    installExitHooks();
    live.add(lab);
    try {
      lab.build(opts);
    } catch (err) {
      lab.destroy();
      throw err;
    }
    return lab;
  }

  /** Name of the lab's interface inside `ns` (the bridge for the hub namespace). */
  ifaceIn(ns: string): string {
    const iface = this.ifaces.get(ns);
    if (iface === undefined) throw new Error(`namespace ${ns} is not part of lab ${this.name}`);
    return iface;
  }

  /**
   * Starts `cmd` inside `ns`. `ip netns exec` execs the command in place, so the returned
   * process's pid is the command's own. Each runs in a process group of its own, so that
   * kill() also reaches what it started (a `bash -c 'a | b'` pipeline). Processes still
   * running at destroy() are killed.
   */
  exec(ns: string, cmd: string[], opts: SpawnOptions = {}): ChildProcess {
    this.ifaceIn(ns);
    const child = spawn('ip', ['netns', 'exec', ns, ...cmd], { ...opts, detached: true });
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    return child;
  }

  /** Signals a process started with exec() and everything in its process group. Never throws. */
  kill(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): void {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, signal);
      else child.kill(signal);
    } catch {
      // already gone
    }
  }

  /** Runs `cmd` inside `ns` to completion and returns its stdout; throws on failure. */
  execSync(ns: string, cmd: string[]): string {
    this.ifaceIn(ns);
    return run('ip', ['netns', 'exec', ns, ...cmd]);
  }

  /**
   * Sets random ingress loss for UDP to `ports` in receiver `receiverIndex`, replacing any
   * earlier setting; 0 percent (or no ports) removes it.
   */
  setLoss(receiverIndex: number, percent: number, ports: number[]): void {
    this.applyLoss(receiverIndex, percent, ports, true);
  }

  /**
   * Caps what reaches receiver `receiverIndex` at `mbit` Mbit/s: tbf on its bridge port's
   * egress (in the hub), as a slow link or switch port in front of that one node would.
   * What the sender sends beyond the cap is dropped there.
   */
  capReceiver(receiverIndex: number, mbit: number): void {
    if (this.receiverNs[receiverIndex] === undefined) throw new Error(`no receiver ${receiverIndex} in lab ${this.name}`);
    if (!(mbit > 0)) throw new Error(`cap must be positive: ${mbit}`);
    const port = `${this.name}-h${receiverIndex}`;
    const burst = Math.max(8 * this.mtu, Math.ceil((mbit * 1e6) / 8 / 500)); // as the sender's cap: 2 ms, at least 8 frames
    run('tc', ['-n', this.hubNs, 'qdisc', 'replace', 'dev', port, 'root', 'tbf', 'rate', `${mbit}mbit`, 'burst', String(burst), 'latency', '50ms']);
  }

  private applyLoss(receiverIndex: number, percent: number, ports: number[], replace: boolean): void {
    const ns = this.receiverNs[receiverIndex];
    if (ns === undefined) throw new Error(`no receiver ${receiverIndex} in lab ${this.name}`);
    if (!(percent >= 0 && percent <= 100)) throw new Error(`loss percent must be in 0..100: ${percent}`);
    for (const p of ports) {
      if (!Number.isInteger(p) || p < 1 || p > 65535) throw new Error(`bad port: ${p}`);
    }
    // "add table; delete table" makes the delete succeed whether or not the table exists.
    // Deleting costs a few ms (the commit waits for RCU), so a fresh lab skips it.
    let script = replace ? `table inet ${LOSS_TABLE}\ndelete table inet ${LOSS_TABLE}\n` : '';
    if (percent > 0 && ports.length > 0) {
      // numgen mod 10000 gives the loss a 0.01 % resolution. The prerouting hook at raw
      // priority drops the datagram as early as a lossy wire would.
      script +=
        `table inet ${LOSS_TABLE} {\n` +
        `  chain ingress {\n` +
        `    type filter hook prerouting priority raw; policy accept;\n` +
        `    udp dport { ${ports.join(', ')} } numgen random mod 10000 < ${Math.round(percent * 100)} drop\n` +
        `  }\n` +
        `}\n`;
    }
    run('ip', ['netns', 'exec', ns, 'nft', '-f', '-'], script);
  }

  /** Kills processes started with exec() and removes every namespace (and so every link). Never throws. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    live.delete(this);
    for (const child of this.children) this.kill(child);
    this.children.clear();
    deleteNamespaces([this.hubNs, ...this.leaves()]);
  }

  /** Every namespace with a veth into the bridge: sender, receivers, then the attacker. */
  private leaves(): string[] {
    return [this.senderNs, ...this.receiverNs, ...(this.attackerNs ? [this.attackerNs] : [])];
  }

  private build(opts: LabOptions): void {
    raiseSysctls();
    const leaves = this.leaves();
    const addrs = [this.senderAddr, ...this.receiverAddrs, ...(this.attackerAddr ? [this.attackerAddr] : [])];
    const mtu = this.mtu;

    run('ip', ['-batch', '-'], [this.hubNs, ...leaves].map((ns) => `netns add ${ns}\n`).join(''));

    // Bridge and all veth pairs from inside the hub; `peer ... netns X` puts the leaf end
    // straight into its namespace under its final name.
    const hub = [
      'link set lo up',
      `link add ${this.bridge} mtu ${mtu} type bridge mcast_snooping 0${opts.flood ? ' ageing_time 0' : ''}`,
      `link set ${this.bridge} up`,
    ];
    leaves.forEach((ns, i) => {
      const port = i === 0 ? `${this.name}-hs` : ns === this.attackerNs ? `${this.name}-ha` : `${this.name}-h${i - 1}`;
      hub.push(`link add ${port} mtu ${mtu} type veth peer name ${ns} mtu ${mtu} netns ${ns}`);
      hub.push(`link set ${port} master ${this.bridge} up`);
    });
    run('ip', ['-n', this.hubNs, '-batch', '-'], hub.join('\n') + '\n');

    // Addresses are per namespace (moving a link flushes them), so one ip call per leaf.
    leaves.forEach((ns, i) => {
      const batch = [
        'link set lo up',
        `addr add ${addrs[i]}/16 dev ${ns}`,
        `link set ${ns} up`,
        `route add 224.0.0.0/4 dev ${ns}`,
      ];
      run('ip', ['-n', ns, '-batch', '-'], batch.join('\n') + '\n');
    });

    if (opts.senderGsoSplit ?? true) {
      this.execSync(this.senderNs, ['ethtool', '-K', this.senderNs, 'tx-udp-segmentation', 'off']);
    }
    if (opts.receiverGro) {
      for (const ns of this.receiverNs) this.execSync(ns, ['ethtool', '-K', ns, 'gro', 'on']);
    }
    if (opts.rateMbit !== undefined) {
      const rateBytes = (opts.rateMbit * 1e6) / 8;
      // Burst: 2 ms at full rate but at least 8 frames, so tbf never starves on one frame.
      const burst = Math.max(8 * mtu, Math.ceil(rateBytes / 500));
      run('tc', [
        '-n', this.senderNs, 'qdisc', 'replace', 'dev', this.senderNs, 'root',
        'tbf', 'rate', `${opts.rateMbit}mbit`, 'burst', String(burst), 'latency', '50ms',
      ]);
    }
    const loss = opts.lossPercent ?? 0;
    if (loss > 0) {
      this.receiverNs.forEach((_, i) => this.applyLoss(i, loss, opts.lossPorts ?? [], false));
    }
  }
}

/**
 * Removes what a crashed run of the lab named `name` left behind: kills the processes
 * still inside its namespaces and deletes the namespaces. Never throws.
 */
export function cleanupStale(name: string): void {
  let list: string;
  try {
    list = run('ip', ['netns', 'list']);
  } catch {
    return;
  }
  const esc = name.replace(/[^a-z0-9]/gi, '\\$&');
  const mine = new RegExp(`^${esc}-(hub|s|a|r\\d+)$`);
  // `ip netns list` prints "NAME" or "NAME (id: N)".
  const stale = list.split('\n').map((l) => l.split(' ')[0] ?? '').filter((ns) => mine.test(ns));
  for (const ns of stale) {
    try {
      for (const pid of run('ip', ['netns', 'pids', ns]).split('\n').filter(Boolean)) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          // exited meanwhile
        }
      }
    } catch {
      // namespace vanished meanwhile
    }
  }
  deleteNamespaces(stale);
}

/** Deleting a namespace also deletes its links and, with them, their veth peers. */
function deleteNamespaces(names: string[]): void {
  if (names.length === 0) return;
  try {
    // -force: keep going past namespaces that are already gone.
    run('ip', ['-force', '-batch', '-'], names.map((ns) => `netns del ${ns}\n`).join(''));
  } catch {
    // best effort: destroy() and cleanupStale() must not throw
  }
}

/** Same as `sysctl -w`, only where the current value is lower. */
function raiseSysctls(): void {
  for (const [key, floor] of Object.entries(SYSCTL_FLOORS)) {
    const path = `/proc/sys/${key}`;
    if (Number(readFileSync(path, 'utf8')) < floor) writeFileSync(path, String(floor));
  }
}

function installExitHooks(): void {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  const destroyAll = (): void => {
    for (const lab of [...live]) lab.destroy();
  };
  process.on('exit', destroyAll);
  // A signal ends the process without 'exit' unless someone listens. Clean up, then
  // re-raise the signal for its default action unless other code handles it.
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      destroyAll();
      if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
    });
  }
}

function run(cmd: string, args: string[], input?: string): string {
  try {
    return execFileSync(cmd, args, {
      encoding: 'utf8',
      input: input ?? '',
      stdio: ['pipe', 'pipe', 'pipe'],
    });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} failed: ${(e.stderr ?? '').trim() || e.message}`);
  }
}
