// Helpers of the load benchmark (bench/load/run-load.sh): start and stop the agent, scrape and
// parse its /metrics, replay a capture with tcpreplay in the sender namespace, read interface,
// softnet and process counters. The scripts that import this run in the capture namespace's
// network (run-load.sh starts them with `nsenter --net=/run/netns/fa-load-dst`: unlike `ip netns
// exec` it leaves /sys, and so the cgroup file system, as it is), so 127.0.0.1 is the agent's.
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'node:http';

export const SRC_NS = 'fa-load-src';
export const TX_DEV = 'fa-load-tx';
export const DST_NS = 'fa-load-dst';
export const RX_DEV = 'fa-load-rx';
export const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export function option(args, name, dflt) {
  const i = args.indexOf(name);
  return i < 0 ? dflt : args[i + 1];
}

/**
 * Starts `node [nodeArgs] dist/bin/flowaudit.js watch --engine pcap --interface fa-load-rx --rules RULES --listen
 * 127.0.0.1:PORT [extra]` with `ip netns exec fa-load-dst` (which mounts the namespace's own /sys,
 * where libpcap reads the interface's drop counters; it then execs node, so the pid is the
 * agent's), its output to `log`; resolves once /readyz says 200.
 */
export async function startAgent({ port, rules = 'bench/bench-rules.yaml', extra = [], nodeArgs = [], log, cgroup }) {
  const args = [...nodeArgs, 'dist/bin/flowaudit.js', 'watch', '--engine', 'pcap', '--interface', RX_DEV, '--rules', rules, '--listen', `127.0.0.1:${port}`, ...extra];
  const out = createWriteStream(log);
  const child = spawn('ip', ['netns', 'exec', DST_NS, process.execPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  // Into the CPU-limited cgroup at once: start-up (module load, rules) runs under the limit too.
  cgroup?.add(child.pid);
  child.stdout.pipe(out);
  child.stderr.pipe(out);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`agent exited before it was ready (see ${log})`);
    try {
      const r = await get(port, '/readyz', 1000);
      if (r.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`agent not ready after 20 s (see ${log})`);
    await sleep(100);
  }
  return { child, pid: child.pid, exited, command: `node ${args.join(' ')}` };
}

/** SIGTERM, then waits; returns the exit and how long the shutdown took (ms). */
export async function stopAgent(agent, timeoutMs = 120_000) {
  const t0 = performance.now();
  agent.child.kill('SIGTERM');
  const timer = setTimeout(() => agent.child.kill('SIGKILL'), timeoutMs);
  const result = await agent.exited;
  clearTimeout(timer);
  return { ...result, ms: performance.now() - t0 };
}

/** GET http://127.0.0.1:PORT/PATH: status, body, and the time from request to the body's end (ms). */
export function get(port, path, timeoutMs = 10_000) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = request({ host: '127.0.0.1', port, path, agent: false, timeout: timeoutMs }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8'), ms: performance.now() - t0 }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`timeout after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** Prometheus text -> { metric name: sum of its samples } (labels ignored: one interface here). */
export function parseMetrics(body) {
  const out = {};
  for (const line of body.split('\n')) {
    if (line === '' || line[0] === '#') continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{[^}]*\})? (\S+)/.exec(line);
    if (m === null) continue;
    out[m[1]] = (out[m[1]] ?? 0) + Number(m[2]);
  }
  return out;
}

export async function scrape(port) {
  const r = await get(port, '/metrics');
  if (r.status !== 200) throw new Error(`/metrics answered ${r.status}`);
  return parseMetrics(r.body);
}

/**
 * Scrapes until the capture is drained: at least `minMs` after the replay ended, then until two
 * scrapes 500 ms apart agree on packets and received (TPACKET_V3 hands a block over when it is
 * full or 1 s old). Returns the last metrics.
 */
export async function scrapeDrained(port, minMs = 2500, maxMs = 60_000) {
  await sleep(minMs);
  const deadline = Date.now() + maxMs;
  let last = await scrape(port);
  for (;;) {
    await sleep(500);
    const now = await scrape(port);
    const same = now.flowaudit_packets_total === last.flowaudit_packets_total && now.flowaudit_capture_received_packets_total === last.flowaudit_capture_received_packets_total;
    last = now;
    if (same || Date.now() > deadline) return last;
  }
}

/** utime + stime of a process, in seconds. */
export function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

/** VmRSS and VmHWM of a process, in MiB. */
export function memory(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
}

/** A veth end's counters (ip -s -j link), in namespace `ns`. */
export function linkStats(ns, dev) {
  const r = spawnSync('ip', ['-n', ns, '-s', '-j', 'link', 'show', 'dev', dev], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip -n ${ns} -s link show ${dev}: ${r.stderr}`);
  const s = JSON.parse(r.stdout)[0].stats64;
  return { rxPackets: s.rx.packets, rxDropped: s.rx.dropped, txPackets: s.tx.packets, txDropped: s.tx.dropped };
}

/** Per-CPU backlog drops and time squeezes, summed (/proc/net/softnet_stat, machine-wide). */
export function softnet() {
  let dropped = 0;
  let squeezed = 0;
  for (const line of readFileSync('/proc/net/softnet_stat', 'utf8').trim().split('\n')) {
    const f = line.trim().split(/\s+/);
    dropped += parseInt(f[1], 16);
    squeezed += parseInt(f[2], 16);
  }
  return { dropped, squeezed };
}

/**
 * Replays `file` from the sender namespace onto fa-load-tx with plain tcpreplay (no packet
 * editing: run-load.sh pads the capture beforehand with tcprewrite), `pps` a number or 'topspeed';
 * `limit` > 0 sends only the first `limit` packets.
 * Resolves with what tcpreplay reports (Actual: packets and seconds, rated pps, failed packets)
 * and its own CPU share (/usr/bin/time: user + system over elapsed).
 */
export function tcpreplay(file, pps, onStart = () => {}, limit = 0) {
  const args = ['netns', 'exec', SRC_NS, '/usr/bin/time', '-f', 'TIME %U %S %e', 'tcpreplay', '-i', TX_DEV];
  if (limit > 0) args.push(`--limit=${limit}`);
  args.push(pps === 'topspeed' ? '--topspeed' : `--pps=${pps}`, file);
  return new Promise((resolve, reject) => {
    const child = spawn('ip', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (out += c));
    onStart(child);
    child.once('error', reject);
    child.once('exit', (code) => {
      const actual = /Actual: (\d+) packets \((\d+) bytes\) sent in ([\d.]+) seconds/.exec(out);
      const rated = /Rated: [\d.]+ Bps, [\d.]+ Mbps, ([\d.]+) pps/.exec(out);
      const failed = /Failed packets:\s+(\d+)/.exec(out);
      const time = /TIME ([\d.]+) ([\d.]+) ([\d.]+)/.exec(out);
      if (code !== 0 || actual === null) {
        reject(new Error(`tcpreplay exited ${code}: ${out}`));
        return;
      }
      resolve({
        sent: Number(actual[1]),
        bytes: Number(actual[2]),
        seconds: Number(actual[3]),
        pps: rated === null ? NaN : Number(rated[1]),
        failed: failed === null ? 0 : Number(failed[1]),
        cpu: time === null ? NaN : (Number(time[1]) + Number(time[2])) / Number(time[3]),
        output: out,
      });
    });
  });
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

export function percentile(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}

/**
 * A CPU limit for the agent, as a Kubernetes `resources.limits.cpu` sets one (a CFS quota):
 * `millicpu` thousandths of a CPU per 100 ms period, in a cgroup of our own (cgroup v1
 * /sys/fs/cgroup/cpu/fa-load-agent, or v2 /sys/fs/cgroup/fa-load-agent when the cpu controller is
 * enabled at the root). Returns { add(pid), remove() }.
 */
export function cpuLimit(millicpu) {
  const v2 = existsSync('/sys/fs/cgroup/cgroup.controllers');
  const dir = v2 ? '/sys/fs/cgroup/fa-load-agent' : '/sys/fs/cgroup/cpu/fa-load-agent';
  if (v2 && !readFileSync('/sys/fs/cgroup/cgroup.subtree_control', 'utf8').split(/\s+/).includes('cpu')) {
    throw new Error('cgroup v2 without the cpu controller enabled at the root: no CPU limit');
  }
  if (!existsSync(dir)) mkdirSync(dir);
  const quota = Math.round(millicpu * 100);
  if (v2) writeFileSync(join(dir, 'cpu.max'), `${quota} 100000\n`);
  else {
    writeFileSync(join(dir, 'cpu.cfs_period_us'), '100000\n');
    writeFileSync(join(dir, 'cpu.cfs_quota_us'), `${quota}\n`);
  }
  return {
    dir,
    add: (pid) => writeFileSync(join(dir, 'cgroup.procs'), `${pid}\n`),
    /** The cgroup's throttling counters (cpu.stat): periods throttled and time throttled, s. */
    stat: () => {
      const s = Object.fromEntries(readFileSync(join(dir, 'cpu.stat'), 'utf8').trim().split('\n').map((l) => l.split(' ')));
      return { throttledPeriods: Number(s.nr_throttled), throttledSeconds: v2 ? Number(s.throttled_usec) / 1e6 : Number(s.throttled_time) / 1e9 };
    },
    remove: () => {
      try {
        rmdirSync(dir);
      } catch {
        // still has processes, or gone
      }
    },
  };
}
