/**
 * The loader's life on a real kernel: interfaces created after it starts are followed and
 * removed ones let go; nothing of ours stays attached after SIGTERM, after SIGKILL (TCX links
 * die with the process), after its parent (the agent) is killed, or, in tc mode, after a killed
 * loader is restarted and stopped; a missing capability stops it with one line naming it.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AgentProcess } from '../support/agent-process.js';
import { processAlive } from '../support/process-alive.js';
import { gate } from '../support/tshark.js';
import { ourTcxLinks, tcState } from './hooks.js';
import { ebpfUnavailable, LoaderProcess } from './loader-process.js';
import { addPodVeth, mustRun, PodLab, run, waitFor } from './pod-lab.js';

const g = gate(ebpfUnavailable());
const DEV = 'fa-e-life';
/** Three 5-byte datagrams from port 40009 to the discard port of argv[1] (nothing listens). */
const SEND_THREE_DATAGRAMS = `
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 40009))
for _ in range(3):
    s.sendto(b"hello", (sys.argv[1], 9))
`;

function addLink(netns: string, dev: string, hostAddress: string, podAddress: string): void {
  mustRun('ip', ['netns', 'add', netns]);
  addPodVeth(netns, dev);
  mustRun('ip', ['addr', 'add', `${hostAddress}/30`, 'dev', dev]);
  mustRun('ip', ['link', 'set', dev, 'up']);
  mustRun('ip', ['-n', netns, 'addr', 'add', `${podAddress}/30`, 'dev', 'eth0']);
  mustRun('ip', ['-n', netns, 'link', 'set', 'eth0', 'up']);
}

describe.skipIf(g.skip)(`eBPF loader lifecycle${g.suffix}`, () => {
  const loaders: LoaderProcess[] = [];
  const start = async (args: string[]) => {
    const loader = await LoaderProcess.start(args);
    loaders.push(loader);
    return loader;
  };

  beforeAll(() => {
    g.assertAvailable();
    PodLab.removeLeftovers();
    addLink('fa-e-lifens', DEV, '10.237.6.1', '10.237.6.2');
  });
  afterEach(async () => {
    for (const l of loaders.splice(0)) await l.stop('SIGKILL');
  });
  afterAll(() => PodLab.removeLeftovers());

  it('follows an interface created after it started, and lets go of it when it is removed', async () => {
    const loader = await start(['-i', 'fa-e-late*', '--interval-ms', '100']);
    addLink('fa-e-latens', 'fa-e-late', '10.237.7.1', '10.237.7.2');
    await loader.waitInterface('fa-e-late', true);
    const ifIndex = Number(mustRun('cat', ['/sys/class/net/fa-e-late/ifindex']));
    mustRun('ip', ['netns', 'exec', 'fa-e-latens', 'python3', '-c', SEND_THREE_DATAGRAMS, '10.237.7.1']);
    const udp = () => loader.lastFlows().find((f) => f.key.protocol === 17);
    await waitFor(() => udp()?.bToA.packets === 3, 'the UDP flow');
    expect(udp()).toMatchObject({ ifIndex, key: { a: { address: '10.237.7.1', port: 9 }, b: { address: '10.237.7.2', port: 40009 } }, aToB: { packets: 0 }, bToA: { packets: 3, bytes: 3 * (20 + 8 + 5) } });
    mustRun('ip', ['link', 'del', 'fa-e-late']);
    await loader.waitInterface('fa-e-late', false);
    // The flows it counted end with it.
    await waitFor(() => udp()?.end === 'interface-gone', 'the UDP flow to end');
    expect(loader.events.filter((e) => e.kind === 'interface' && e.name === 'fa-e-late').map((e) => e.kind === 'interface' && [e.attached, e.mode])).toEqual([
      [true, 'tcx'],
      [false, 'tcx'],
    ]);
  });

  it.each([
    [[] as string[], ['fa-e-k1', 'fa-e-k2', 'fa-e-kbr']],
    [['--kind', 'bridge'], ['fa-e-kbr']],
    [['--kind', 'veth', '-i', 'fa-e-kb*'], ['fa-e-k1', 'fa-e-k2', 'fa-e-kbr']],
    [['-i', 'fa-e-k?'], ['fa-e-k1', 'fa-e-k2']],
  ])('in a namespace of its own, with %j, attaches to %j (never lo)', async (args, expected) => {
    const ns = 'fa-e-kinds';
    if (run('ip', ['netns', 'pids', ns]).status !== 0) {
      mustRun('ip', ['netns', 'add', ns]);
      mustRun('ip', ['-n', ns, 'link', 'add', 'fa-e-k1', 'type', 'veth', 'peer', 'name', 'fa-e-k2']);
      mustRun('ip', ['-n', ns, 'link', 'add', 'fa-e-kbr', 'type', 'bridge']);
    }
    const loader = await LoaderProcess.start([...args, '--interval-ms', '100'], ['ip', 'netns', 'exec', ns]);
    loaders.push(loader);
    // Two sweeps: every interface of the first dump has been seen by then.
    await waitFor(() => loader.events.filter((e) => e.kind === 'counters').length >= 2, 'two sweeps');
    const attached = loader.events.filter((e) => e.kind === 'interface' && e.attached).map((e) => e.kind === 'interface' && e.name);
    expect(attached.sort()).toEqual(expected);
  });

  it.each(['SIGTERM', 'SIGKILL'] as const)('TCX: no link of ours is left after %s', async (signal) => {
    const loader = await start(['-i', DEV]);
    await loader.waitInterface(DEV, true);
    expect(ourTcxLinks().sort()).toEqual(['flowaudit_eg', 'flowaudit_in']);
    expect(await loader.stop(signal)).toEqual(signal === 'SIGTERM' ? { code: 0, signal: null } : { code: null, signal });
    await waitFor(() => ourTcxLinks().length === 0, 'the links to go');
    expect(tcState(DEV)).toEqual({ filters: [], clsact: false });
  });

  it('tc mode: a loader whose parent is killed detaches at once (the parent-death signal), though its stream stays open', async () => {
    // The parent is a shell holding the loader in the background; the loader's stdout is still
    // ours, so only the parent-death signal can stop it (an hour between sweeps: no write to fail).
    const loader = await LoaderProcess.start(['-i', DEV, '--attach', 'tc', '--interval-ms', '3600000'], ['sh', '-c', '"$@" & wait', 'sh']);
    loaders.push(loader);
    await loader.waitInterface(DEV, true);
    expect(tcState(DEV).filters).toHaveLength(2);
    await loader.stop('SIGKILL');
    await waitFor(() => loader.child.stdout!.closed, 'the loader to exit');
    expect(tcState(DEV)).toEqual({ filters: [], clsact: false });
  });

  it('watch --engine ebpf killed with SIGKILL: its loader exits and no link of ours is left', async () => {
    const agent = await AgentProcess.start(['--engine', 'ebpf', '-i', DEV, '--listen', '127.0.0.1:0', '--rules', 'apigee-hybrid-1.4']);
    try {
      const loaderPid = Number((await agent.waitForLog((l) => l.msg === 'capturing')).pid);
      await agent.waitForMetrics((m) => m.get('flowaudit_engine_interfaces_attached') === 1);
      expect(ourTcxLinks().sort()).toEqual(['flowaudit_eg', 'flowaudit_in']);
      await agent.kill();
      await waitFor(() => !processAlive(loaderPid), 'the loader to exit', 5000);
      expect(ourTcxLinks()).toEqual([]);
    } finally {
      await agent.kill();
    }
  });

  it('tc mode: SIGTERM removes our filters and the qdisc we made', async () => {
    const loader = await start(['-i', DEV, '--attach', 'tc']);
    await loader.waitInterface(DEV, true);
    expect(tcState(DEV)).toEqual({ filters: ['ingress flowaudit_in', 'egress flowaudit_eg'], clsact: true });
    expect(await loader.stop()).toEqual({ code: 0, signal: null });
    expect(tcState(DEV)).toEqual({ filters: [], clsact: false });
  });

  it.each(['tc', 'auto'])('tc mode killed: a restart (--attach %s) removes what it left, and its stop leaves nothing', async (attach) => {
    const killed = await start(['-i', DEV, '--attach', 'tc']);
    await killed.waitInterface(DEV, true);
    await killed.stop('SIGKILL');
    // What SIGKILL leaves in tc mode (the reason TCX is preferred).
    expect(tcState(DEV)).toEqual({ filters: ['ingress flowaudit_in', 'egress flowaudit_eg'], clsact: true });
    const restarted = await start(['-i', DEV, '--attach', attach]);
    await restarted.waitInterface(DEV, true);
    expect(tcState(DEV)).toEqual(attach === 'tc' ? { filters: ['ingress flowaudit_in', 'egress flowaudit_eg'], clsact: true } : { filters: [], clsact: false });
    expect(await restarted.stop()).toEqual({ code: 0, signal: null });
    expect(tcState(DEV)).toEqual({ filters: [], clsact: false });
    expect(ourTcxLinks()).toEqual([]);
  });

  it('tc mode: a clsact qdisc with someone else\'s filter on it stays, with that filter', async () => {
    mustRun('tc', ['qdisc', 'add', 'dev', DEV, 'clsact']);
    mustRun('tc', ['filter', 'add', 'dev', DEV, 'ingress', 'prio', '1', 'protocol', 'all', 'u32', 'match', 'u32', '0', '0', 'classid', '1:1']);
    try {
      const killed = await start(['-i', DEV, '--attach', 'tc']);
      await killed.waitInterface(DEV, true);
      await killed.stop('SIGKILL');
      const restarted = await start(['-i', DEV, '--attach', 'tc']);
      await restarted.waitInterface(DEV, true);
      await restarted.stop();
      expect(tcState(DEV)).toEqual({ filters: [], clsact: true });
      expect(mustRun('tc', ['filter', 'show', 'dev', DEV, 'ingress'])).toContain('u32');
    } finally {
      run('tc', ['qdisc', 'del', 'dev', DEV, 'clsact']);
    }
  });

  it.each([
    [['--max-flows', '5'], "flowaudit-loader: bad option --max-flows: 1024 to 16777216 (got '5')"],
    [['--ring-bytes', '5000'], "flowaudit-loader: bad option --ring-bytes: a power of two, 4096 to 1073741824 (got '5000')"],
    [['--attach', 'xdp'], "flowaudit-loader: bad option --attach: auto, tcx or tc (got 'xdp')"],
    [['eth0'], "flowaudit-loader: unexpected argument 'eth0'"],
  ])('bad usage %j: exit 2 and one line', async (args, line) => {
    const loader = await LoaderProcess.start(args);
    expect(await loader.exited).toEqual({ code: 2, signal: null });
    expect(loader.stderr).toBe(`${line}\n`);
  });

  it.each([
    ['CAP_BPF', '-bpf,-sys_admin'],
    ['CAP_NET_ADMIN', '-net_admin'],
    ['CAP_PERFMON', '-perfmon,-sys_admin'],
  ])('without %s: exit 3 and one line naming it', async (cap, drop) => {
    const loader = await LoaderProcess.start(['-i', DEV], ['setpriv', '--inh-caps', '-all', '--bounding-set', drop]);
    expect(await loader.exited).toEqual({ code: 3, signal: null });
    expect(loader.stderr).toMatch(new RegExp(`^flowaudit-loader: missing capability ${cap} \\([^\\n]+\\)\\n$`));
    expect(loader.events).toEqual([]);
  });
});
